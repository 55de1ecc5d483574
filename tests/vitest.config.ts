import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup/deny-network.ts', 'tests/setup/fast-check.ts'],
    // Looks for the interop peer once; the reporter prints one line when its suite was skipped.
    globalSetup: ['tests/setup/interop-peer.ts'],
    reporters: ['default', './tests/setup/interop-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core CI
    // machine, while many files mostly wait on sockets and timers. One worker per core, at least 2.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
