// `smtp-probe explain <code|x.y.z|"reply text"> [second]`: catalog lookups and the
// comparison page. The catalog is imported lazily so other commands do not pay for it.
import { Command } from 'commander';
import { presentation, type CliContext } from '../context.js';

export function explainCommand(ctx: CliContext): Command {
  return new Command('explain')
    .description('explain a reply code (550), an enhanced status code (5.7.26) or a whole reply text; two codes give a comparison')
    .argument('<code>', 'reply code, enhanced status code, or quoted reply text')
    .argument('[second]', 'a second reply code to compare with the first')
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe explain 550
  smtp-probe explain 5.7.26
  smtp-probe explain "550-5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
  smtp-probe explain 220 554            compare two codes
  smtp-probe explain 421 --lang fr --json`,
    )
    .action(async (first: string, second: string | undefined, _opts: unknown, cmd: Command) => {
      const p = presentation(ctx, cmd);
      const [{ explainInput }, { compareCodes }, render] = await Promise.all([
        import('../../catalog/explain.js'),
        import('../../catalog/compare.js'),
        import('../../report/explain-human.js'),
      ]);
      const ro = { chalk: p.chalk, width: p.width, lang: p.lang };
      if (second !== undefined) {
        const c = compareCodes(first, second, p.lang);
        ctx.io.stdout.write(p.json ? `${JSON.stringify({ schemaVersion: 1, ...c }, null, 2)}\n` : render.renderComparison(c, ro));
        return;
      }
      const x = explainInput(first, p.lang);
      ctx.io.stdout.write(p.json ? `${JSON.stringify({ schemaVersion: 1, ...x }, null, 2)}\n` : render.renderExplanation(x, ro));
    });
}
