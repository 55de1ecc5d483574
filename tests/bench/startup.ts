// Start-up cost: wall time of `smtp-probe explain 550` against `node -e 0`, interleaved
// runs in the same process so machine noise hits both alike. Prints medians and the ratio.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BIN } from '../helpers/cli.js';

function timeOnce(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const runs = 21;
  const base: number[] = [];
  const ours: number[] = [];
  timeOnce(['-e', '0']);
  timeOnce([BIN, 'explain', '550']);
  for (let i = 0; i < runs; i++) {
    base.push(timeOnce(['-e', '0']));
    ours.push(timeOnce([BIN, 'explain', '550']));
  }
  const b = median(base);
  const o = median(ours);
  console.log(`start-up: node -e 0 ${b.toFixed(1)} ms, smtp-probe explain 550 ${o.toFixed(1)} ms (medians of ${runs}); ratio ${(o / b).toFixed(2)}x`);
}
