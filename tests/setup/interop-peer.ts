// Global setup: looks once per run for this project's own Postfix (tests/interop/peer.ts) and
// Redis (tests/queue/redis-peer.ts) and hands the answers to the interop and queue files
// (inject('interopPeer'), inject('redisPeer')), which skip or fail on them; the interop
// reporter prints the one line that says so.
import type { TestProject } from 'vitest/node';
import { findPostfix, type PeerState } from '../interop/peer.js';
import { findRedis, type RedisPeer } from '../queue/redis-peer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    interopPeer: PeerState;
    redisPeer: RedisPeer;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('interopPeer', await findPostfix());
  project.provide('redisPeer', await findRedis());
}
