// The executable's entry (bin/smtp-probe.js imports the built file): wires the real
// process to runCli, owns process.exitCode and Ctrl-C (exit 130). Sets the code and returns,
// so output is never cut off.
import { processIo } from './io.js';
import { runCli } from './run.js';
import { ExitCode } from './exit-codes.js';

const controller = new AbortController();
let interrupted = false;
const onInterrupt = (): void => {
  if (interrupted) process.exit(ExitCode.interrupted); // second Ctrl-C: stop now
  interrupted = true;
  controller.abort();
};
process.on('SIGINT', onInterrupt);
// A service manager's stop (a worker under systemd): the same clean stop as Ctrl-C.
process.on('SIGTERM', onInterrupt);
// A closed pipe (smtp-probe ... | head) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const code = await runCli(process.argv.slice(2), processIo(controller.signal));
process.exitCode = interrupted ? ExitCode.interrupted : code;
