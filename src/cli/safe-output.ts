// The CLI's last line of defence for stdout: every chunk a command writes passes through
// terminalSafe(), so a peer- or DNS-supplied character a renderer forgot to clean still cannot
// drive the terminal (JSON output keeps its value: the escapes are JSON's own). Back-pressure
// is kept (write() returns false until the inner stream drains); errors stay the inner's.
import type { Writable as WritableType } from 'node:stream';
import { Writable } from 'node:stream';
import { terminalSafe } from '../report/printable.js';

export interface GuardedWritable extends WritableType {
  /** Ends the guard; resolves when everything written was handed to the inner stream. */
  flushAndEnd(): Promise<void>;
}

/** Calls `done` once, on the first of drain / error / close of `s` (with the error, if any). */
function onceWritable(s: WritableType, done: (e?: Error) => void): void {
  const fire = (e?: unknown): void => {
    s.off('drain', fire);
    s.off('error', fire);
    s.off('close', fire);
    done(e instanceof Error ? e : undefined);
  };
  s.on('drain', fire);
  s.on('error', fire);
  s.on('close', fire);
}

export function guardWritable(inner: WritableType): GuardedWritable {
  const w = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      const text = terminalSafe(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      try {
        // The inner stream's own error handling applies (EPIPE in main.ts); we only move on.
        if (inner.write(text) || inner.destroyed) cb();
        // A write error (ENOSPC…) reaches the writer through the guard (verify reports it).
        else onceWritable(inner, (e) => cb(e));
      } catch {
        cb();
      }
    },
  }) as unknown as GuardedWritable;
  w.on('error', () => {});
  // Whoever needs to know which file stdout is (verify --resume appending to it) sees the inner fd.
  (w as unknown as { fd?: unknown }).fd = (inner as unknown as { fd?: unknown }).fd;
  w.flushAndEnd = () => new Promise<void>((resolve) => {
    if (w.writableFinished || w.destroyed) return resolve();
    w.once('finish', () => resolve());
    w.once('close', () => resolve());
    w.end();
  });
  return w;
}
