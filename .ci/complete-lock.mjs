// Completes package-lock.json for registries that lack some platform builds of rollup
// (the npm mirror of our CI has only the linux-x64/arm64 glibc ones). `npm install` then
// leaves rollup's other optional packages out of the lock, and `npm ci` refuses the lock
// ("Missing: @rollup/rollup-darwin-x64 from lock file"). We add those entries with their
// os/cpu/libc, so npm ci skips them on every platform they do not fit — as a lock made
// against the full registry would. Run after `npm install`: node .ci/complete-lock.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const pkgs = lock.packages;
const platform = (name) => {
  const m = /^@rollup\/rollup-([a-z0-9]+)-([a-z0-9]+?)(?:-(gnu|gnueabihf|musl|musleabihf|msvc|eabi))?$/.exec(name);
  if (!m) return null;
  const [, os, cpu, abi] = m;
  const out = { os: [os], cpu: [cpu === 'ia32' ? 'ia32' : cpu] };
  if (abi === 'musl' || abi === 'musleabihf') out.libc = ['musl'];
  if (abi === 'gnu' || abi === 'gnueabihf') out.libc = ['glibc'];
  return out;
};
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (!dep.startsWith('@rollup/rollup-')) continue;
    const base = path === '' ? '' : `${path}/`;
    const where = `${base}node_modules/${dep}`;
    if (pkgs[where] || pkgs[`node_modules/${dep}`]) continue;
    const p = platform(dep);
    if (!p) continue;
    pkgs[`node_modules/${dep}`] = { version, ...p, dev: true, license: 'MIT', optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: added ${added} platform entr${added === 1 ? 'y' : 'ies'}`);
