// Progress on stderr: an ora spinner naming the current stage, only on a TTY, never with
// --json or --quiet. Everything else about a run goes to stdout through the renderers.
import type { Io } from '../cli/io.js';
import type { ProbeEvent } from '../probe/run-probe.js';
import { STAGE_LABEL } from '../smtp/stages.js';
import { printable } from './printable.js';

export interface Progress {
  onEvent: (e: ProbeEvent) => void;
  stop: () => void;
}

const NONE: Progress = { onEvent: () => {}, stop: () => {} };

export function describeEvent(e: ProbeEvent): string {
  switch (e.type) {
    case 'resolve': return `looking up the mail hosts of ${printable(e.target)}`;
    case 'checks': return 'running the sender-side checks (blocklists, SPF, DKIM, DMARC, reverse DNS)';
    case 'stage': return `${printable(e.host)}[${printable(e.address)}]:${e.port}: ${STAGE_LABEL[e.stage]}`;
  }
}

/** A spinner when stderr is a terminal and the user wants one; otherwise nothing at all. */
export async function createProgress(io: Io, enabled: boolean): Promise<Progress> {
  if (!enabled || !io.stderrIsTTY) return NONE;
  const { default: ora } = await import('ora'); // loaded only when a spinner is shown
  // discardStdin false: ora would otherwise pause stdin, which `verify` reads (ora#209).
  const spinner = ora({ stream: io.stderr as NodeJS.WriteStream, discardStdin: false }).start('starting');
  return {
    onEvent: (e) => { spinner.text = describeEvent(e); },
    stop: () => spinner.stop(),
  };
}
