// Global setup: looks once per run for this project's own Postfix (tests/interop/peer.ts) and
// hands the answer to the interop files (inject('interopPeer')), which skip or fail on it; the
// interop reporter prints the one line that says so.
import type { TestProject } from 'vitest/node';
import { findPostfix, type PeerState } from '../interop/peer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    interopPeer: PeerState;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('interopPeer', await findPostfix());
}
