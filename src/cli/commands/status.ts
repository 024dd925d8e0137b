/** `status`: seal state of the server; exit 0 unsealed, 2 sealed, 1 on error (2 is taken by "sealed"). */
import type { Command } from '../command.js';
import { printSealStatus } from './seal-status.js';

export const statusCommands: Command[] = [
  {
    name: 'status',
    synopsis: 'Print seal and HA status',
    help: `Usage: coffer status [options]

  Shows whether the server is initialised and sealed, its unseal progress, version and storage.
  Exit code 0: unsealed; 2: sealed; 1: the status could not be read.`,
    output: ['format', 'field'],
    async run(ctx, args) {
      if (args.length > 0) return ctx.usage(`Too many arguments (expected 0, got ${args.length})`);
      let code: number;
      let sealed: boolean;
      try {
        const client = ctx.client();
        const status = await client.sys.sealStatus();
        sealed = status.sealed === true;
        code = await printSealStatus(ctx, client, status);
      } catch (error) {
        ctx.ui.error(`Error checking seal status: ${(error as Error).message}`);
        return 1;
      }
      return sealed ? 2 : code;
    },
  },
];
