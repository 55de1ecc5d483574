// Reporter: one line after the summary when the interop suite did not run against its peer,
// saying why and how to enable it (skipped: no SMTP_PROBE_INTEROP=1; failed: it was required).
// Silent when the peer was there or no interop file was part of the run.
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { HOW_TO_ENABLE, INTEROP_REQUIRED } from '../interop/peer.js';
import { REDIS_HOW_TO_ENABLE } from '../queue/redis-peer.js';
import './interop-peer.js';

export default class InteropReporter implements Reporter {
  private ctx?: Vitest;

  onInit(ctx: Vitest): void {
    this.ctx = ctx;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const interop = modules.filter((m) => /[\\/]tests[\\/]interop[\\/]/.test(m.moduleId));
    this.redisLine(modules);
    const peer = interop[0]?.project.getProvidedContext().interopPeer;
    if (!peer || peer.ok) return;
    const tests = interop.reduce((n, m) => n + [...m.children.allTests()].length, 0);
    const line = INTEROP_REQUIRED
      ? `interop: SMTP_PROBE_INTEROP=1 requires this project's Postfix, but ${peer.why}; ${tests} interop tests failed. To set it up: ${HOW_TO_ENABLE}`
      : `interop: ${tests} tests against a real Postfix SKIPPED: ${peer.why}. To run them: ${HOW_TO_ENABLE}`;
    (this.ctx?.logger ?? console).log(line);
  }

  /** The same for the queue tests and their Redis (tests/queue). */
  private redisLine(modules: ReadonlyArray<TestModule>): void {
    const queue = modules.filter((m) => /[\\/]tests[\\/]queue[\\/]/.test(m.moduleId));
    const peer = queue[0]?.project.getProvidedContext().redisPeer;
    if (!peer || peer.ok) return;
    const tests = queue.reduce((n, m) => n + [...m.children.allTests()].length, 0);
    const line = INTEROP_REQUIRED
      ? `queue: SMTP_PROBE_INTEROP=1 requires this project's Redis, but ${peer.why}; ${tests} queue tests failed. To set it up: ${REDIS_HOW_TO_ENABLE}`
      : `queue: ${tests} tests against a real Redis SKIPPED: ${peer.why}. To run them: ${REDIS_HOW_TO_ENABLE}`;
    (this.ctx?.logger ?? console).log(line);
  }
}
