import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

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
  },
});
