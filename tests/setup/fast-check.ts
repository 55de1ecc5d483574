// fast-check under the suite. A failing property prints fast-check's report with its seed and
// path ({ seed: S, path: "P" }); replay exactly that case with FC_SEED=S FC_PATH=P (and -t NAME to
// pick the test). FC_RUNS_SCALE=N multiplies every property's runs: the one-off "run the
// properties N times" check (README, Tests). Unset, fast-check runs as each test configures it.
import { vi } from 'vitest';

vi.mock('fast-check', async (importOriginal) => {
  const fc = await importOriginal<typeof import('fast-check')>();
  const scale = Number(process.env.FC_RUNS_SCALE ?? '1');
  const seed = process.env.FC_SEED;
  const path = process.env.FC_PATH;
  if ((!Number.isFinite(scale) || scale === 1) && seed === undefined) return fc;
  type Params = Parameters<typeof fc.assert>[1];
  const tune = (p: Params = {}): Params => ({
    ...p,
    numRuns: Math.max(1, Math.round((p.numRuns ?? 100) * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  });
  const assert = ((prop: Parameters<typeof fc.assert>[0], params?: Params) => fc.assert(prop, tune(params))) as typeof fc.assert;
  const api = { ...fc.default, assert };
  return { ...fc, assert, default: api };
});
