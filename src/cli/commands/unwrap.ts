/** `unwrap [TOKEN]`: the original response stored behind a wrapping token (the token is then spent). */
import type { Secret } from '../../client/secret.js';
import { type Command, checkArgs } from '../command.js';
import { outputList, outputSecret, printRawField } from '../format/output.js';

export const unwrapCommands: Command[] = [
  {
    name: 'unwrap',
    synopsis: 'Unwrap a wrapped secret',
    help: `Usage: coffer unwrap [options] [TOKEN]

  Returns the response wrapped behind TOKEN, or behind the current token when TOKEN is omitted
  (VAULT_TOKEN=<wrapping token> coffer unwrap). A wrapping token works once.`,
    output: ['field', 'format'],
    async run(ctx, args) {
      const bad = checkArgs(ctx, args, 0, 1);
      if (bad !== undefined) return bad;
      let secret: Secret | undefined;
      try {
        secret = await ctx.client().unwrap(args[0]?.trim() || undefined);
      } catch (error) {
        return ctx.fail('Error unwrapping', error);
      }
      if (!secret) {
        ctx.ui.error('Could not find wrapped response');
        return 2;
      }
      if (ctx.field) return printRawField(ctx.out, secret, ctx.field);
      // A wrapped LIST answer is shown as a list again.
      if (Array.isArray(secret.data?.keys)) return outputList(ctx.out, secret);
      return outputSecret(ctx.out, secret);
    },
  },
];
