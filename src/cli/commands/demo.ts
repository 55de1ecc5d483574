// `smtp-probe demo`: a real probe, offline. Starts the demo world on loopback (a dns2 zone
// server and a scripted SMTP server with STARTTLS), probes demo.test through them with the
// same code and output as a real probe, and shuts everything down. Exit 0 when it ran.
import { Command } from 'commander';
import { t } from '../../catalog/messages.js';
import { presentation, type CliContext } from '../context.js';
import { defaultHelo, printProbe } from './probe.js';

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('run a real probe offline, against built-in loopback servers (nothing leaves this machine)')
    .option('--helo <name>', 'EHLO name (default: this machine\'s host name)')
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe demo
  smtp-probe demo --verbose          full explanations under every reply
  smtp-probe demo --lang fr --json`,
    )
    .action(async (opts: { helo?: string }, command: Command) => {
      const p = presentation(ctx, command);
      const [{ startDemoWorld, DEMO_DOMAIN, DEMO_FROM, DEMO_RCPTS }, { runProbe }, { connectTransport }, { createDns2Resolver }, { withCache }] = await Promise.all([
        import('../../demo/demo-world.js'),
        import('../../probe/run-probe.js'),
        import('../../smtp/transport.js'),
        import('../../dns/dns2-resolver.js'),
        import('../../dns/resolver.js'),
      ]);
      const world = await startDemoWorld();
      try {
        if (!p.json && !p.quiet) {
          ctx.io.stdout.write(p.chalk.dim(`${t(p.lang, 'demo.intro', { domain: DEMO_DOMAIN, dns: `${world.dns.address}:${world.dns.port}`, smtp: `${world.smtp.address}:${world.smtp.port}` })}\n\n`));
        }
        const result = await runProbe(
          DEMO_DOMAIN,
          {
            ports: [{ port: world.smtp.port, implicitTls: false }],
            tlsMode: 'auto',
            tlsVerify: false,
            ca: world.ca,
            helo: opts.helo ?? defaultHelo(),
            from: DEMO_FROM,
            rcpts: DEMO_RCPTS,
            timeoutScale: 1,
            lang: p.lang,
            localExpected: true,
          },
          {
            // The zone server answers from this process: on a busy machine a loop held up (by
            // loading modules) must not make its own answers look late, so the deadline is wide.
            resolve: withCache(createDns2Resolver({ servers: [{ address: world.dns.address, port: world.dns.port }], timeoutMs: 5_000 })),
            connect: connectTransport,
            now: () => Date.now(),
            signal: ctx.io.signal,
          },
        );
        await printProbe(ctx, p, result);
        // The demo's own verdict mixes an accepted, an unknown and a greylisted recipient on
        // purpose; its exit code says whether the demonstration ran.
        ctx.exitCode = 0;
      } finally {
        await world.close();
      }
    });
}
