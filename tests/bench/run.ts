// `npm run bench`: runs every benchmark module in tests/bench/ (each exports run()) and
// prints figures, as ratios measured in the same run. Never part of `npm test`.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const modules = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
for (const f of modules) {
  const m = (await import(pathToFileURL(join(dir, f)).href)) as { run?: () => Promise<void> };
  if (typeof m.run !== 'function') continue;
  console.log(`\n== ${f.replace(/\.ts$/, '')}`);
  await m.run();
}
