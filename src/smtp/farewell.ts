// The farewell phase: RSET when a transaction is open, then QUIT (one flight with
// PIPELINING: RFC 2920 §3.1 lets QUIT end a group), short deadlines, then close. It is also
// the sync point: QUIT can only get 221 and RSET 250, so replies shifted by a stray one
// show here, and judgeFarewell() voids the session's answers (protocol error, never "ok");
// result.sync says what the farewell proved (verify holds its answers until then).
import { formatCommand } from './command.js';
import type { Dialogue, Planned } from './dialogue.js';
import { judgeFarewell } from './judge.js';
import type { Transport } from './transport.js';

const ANSWERED = new Set(['ok', 'rejected', 'deferred', 'no-such-user']);

export async function leave(d: Dialogue, t: Transport): Promise<void> {
  d.sink = d.result.steps;
  try {
    const idle = d.noticeIdleFailure();
    // One reply too many after the last transaction: its answers may be shifted ones.
    if (idle && idle.kind !== 'closed' && idle.kind !== 'reset') {
      d.result.sync = idle.unsolicited?.code === 421 ? 'closing' : 'lost';
      return void voidAnswers(d);
    }
    // Before the banner was read nothing may be sent (RFC 5321 §4.3.1): just close.
    if (!d.alive() || d.lastAnswered === undefined || Date.now() >= d.o.runDeadline) return;
    const planned: Planned[] = [];
    // --quit-after: QUIT right where it stopped (it ends an open transaction too, RFC 5321 §4.1.1.10).
    if (d.transactionOpen && !d.result.stoppedAfter) planned.push({ stage: 'rset', expecting: 'RSET', cmd: formatCommand('RSET') });
    planned.push({ stage: 'quit', expecting: 'QUIT', cmd: formatCommand('QUIT') });
    const flight = planned.length > 1 && d.result.extensions?.pipelining === true && d.o.pipelining !== false;
    const before = d.lastAnswered;
    const { reads } = await d.talk(t, planned, flight, (r) => r.reply !== undefined);
    const out = judgeFarewell(d.peer, d.o.port, reads, before);
    // 221 can only answer QUIT: read in its place, it proves no reply before it was shifted.
    // A 421 already waiting when RSET/QUIT was to be written may be a shifted reply ('closing');
    // one read in answer to them is the server closing, in step.
    if (out) d.result.sync = 'lost';
    else if (reads.some((r) => r.failure?.unsolicited?.code === 421)) d.result.sync = 'closing';
    else if (reads.some((r) => r.expecting === 'QUIT' && r.reply?.code === 221)) d.result.sync = 'confirmed';
    // Only answers can be voided: a policy stop (--tls-verify, --tls require) stays what it was.
    if (out && ANSWERED.has(d.result.outcome.kind)) {
      d.result.outcome = out;
      voidAnswers(d);
    }
  } finally {
    d.transactionOpen = false;
    d.closed = true;
    t.close();
  }
}

/** Nothing this session was told can be trusted: no recipient counts as answered. */
function voidAnswers(d: Dialogue): void {
  d.result.rcpts = d.result.rcpts.map((r) => ({ address: r.address, accepted: false }));
}
