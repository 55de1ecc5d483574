// Progress on stderr: an ora spinner naming the current stage, only on a TTY, never with
// --json or --quiet. Everything else about a run goes to stdout through the renderers.
import type { Io } from '../cli/io.js';
import type { Lang } from '../catalog/data.js';
import { localize, t } from '../catalog/messages.js';
import type { ProbeEvent } from '../probe/run-probe.js';
import { STAGE_LABEL } from '../smtp/stages.js';
import { printable } from './printable.js';

export interface Progress {
  onEvent: (e: ProbeEvent) => void;
  stop: () => void;
}

const NONE: Progress = { onEvent: () => {}, stop: () => {} };

export function describeEvent(e: ProbeEvent, lang: Lang = 'en'): string {
  switch (e.type) {
    case 'resolve': return t(lang, 'progress.resolve', { target: printable(e.target) });
    case 'checks': return t(lang, 'progress.checks');
    case 'stage': return `${printable(e.host)}[${printable(e.address)}]:${e.port}: ${localize(lang, STAGE_LABEL[e.stage])}`;
  }
}

/** A terminal width ora can divide by: a positive number of columns. */
function usableColumns(stream: NodeJS.WriteStream): boolean {
  return typeof stream.columns === 'number' && Number.isFinite(stream.columns) && stream.columns > 0;
}

/**
 * A spinner when stderr is a terminal with a width and the user wants one; otherwise nothing.
 * A terminal that reports 0 columns (`script`, some CI pseudo-terminals) gets no spinner: ora
 * divides by the width and would clear Infinity lines, forever.
 */
export async function createProgress(io: Io, enabled: boolean, lang: Lang = 'en'): Promise<Progress> {
  const stream = io.stderr as NodeJS.WriteStream;
  if (!enabled || !io.stderrIsTTY || !usableColumns(stream)) return NONE;
  const { default: ora } = await import('ora'); // loaded only when a spinner is shown
  // discardStdin false: ora would otherwise pause stdin, which `verify` reads (ora#209).
  const spinner = ora({ stream, discardStdin: false }).start(t(lang, 'progress.starting'));
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    stream.off?.('resize', onResize);
    spinner.stop();
  };
  // Node updates columns and emits 'resize' in one step, before ora's next frame can run.
  const onResize = (): void => { if (!usableColumns(stream)) stop(); };
  stream.on?.('resize', onResize);
  return {
    onEvent: (e) => { if (!stopped) spinner.text = describeEvent(e, lang); },
    stop,
  };
}
