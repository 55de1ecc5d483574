// Writing results to a slow or broken stdout (issue 11 item 9): backpressure waits without
// leaving listeners behind (no MaxListenersExceededWarning on a slow pipe), and a write
// error ends the run with its reason instead of being swallowed.
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { OutputError, writeOut } from '../../../src/cli/commands/verify.js';

describe('writeOut', () => {
  it('a slow pipe: thousands of waits for drain leave no listener behind', async () => {
    const slow = new Writable({ highWaterMark: 16, write(_c, _e, cb) { setImmediate(cb); } });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(w.name); };
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 2_000; i++) await writeOut(slow, `line ${i} with enough text to pass the mark\n`);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(slow.listenerCount('error')).toBe(0);
    expect(slow.listenerCount('drain')).toBe(0);
    expect(slow.listenerCount('close')).toBe(0);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('a write error is reported, not hidden', async () => {
    const broken = new Writable({ highWaterMark: 4, write(_c, _e, cb) { setImmediate(() => cb(Object.assign(new Error('no space left'), { code: 'ENOSPC' }))); } });
    let error: unknown;
    try {
      for (let i = 0; i < 10; i++) await writeOut(broken, 'a line longer than the mark\n');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutputError);
    expect(String(error)).toMatch(/ENOSPC/);
  });
});
