/** `operator init|unseal|seal|rotate|key-status`: the seal lifecycle and the barrier keyring. */
import type { InitResponse } from '../../client/sys.js';
import { type Command, type Context, checkArgs } from '../command.js';
import { outputData, outputPairs } from '../format/output.js';
import { rfc822 } from '../format/values.js';
import { promptSecret, wrapAtLength } from '../io.js';
import { printSealStatus } from './seal-status.js';

const DEFAULT_SHARES = 5;
const DEFAULT_THRESHOLD = 3;

/** The object `operator init -format=json` prints (vault's `machineInit`). */
function machineInit(shares: number, threshold: number, res: InitResponse) {
  return {
    unseal_keys_b64: res.keys_base64 ?? [],
    unseal_keys_hex: res.keys ?? [],
    unseal_shares: shares,
    unseal_threshold: threshold,
    recovery_keys_b64: res.recovery_keys_base64 ?? [],
    recovery_keys_hex: res.recovery_keys ?? [],
    recovery_keys_shares: 0,
    recovery_keys_threshold: 0,
    root_token: res.root_token,
  };
}

function printInit(ctx: Context, shares: number, threshold: number, res: InitResponse): number {
  const keys = res.keys ?? [];
  keys.forEach((key, i) => {
    const b64 = res.keys_base64?.length === keys.length ? res.keys_base64[i] : key;
    ctx.ui.output(`Unseal Key ${i + 1}: ${b64}`);
  });
  ctx.ui.output('');
  ctx.ui.output(`Initial Root Token: ${res.root_token}`);
  ctx.ui.output('');
  ctx.ui.output(
    wrapAtLength(
      `The server was initialised with ${shares} key shares and a key threshold of ${threshold}. Hand the key ` +
        `shares above to their holders: whenever the server is sealed or restarted, ${threshold} of them are ` +
        'needed to unseal it.',
    ),
  );
  ctx.ui.output('');
  ctx.ui.output(
    wrapAtLength(
      `The root key is not stored anywhere. With fewer than ${threshold} of these keys the data stays ` +
        'sealed for good.',
    ),
  );
  return 0;
}

async function init(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0);
  if (bad !== undefined) return bad;
  const client = ctx.client();
  if (ctx.flags.bool('status')) {
    let initialized: boolean;
    try {
      initialized = await client.sys.initStatus();
    } catch (error) {
      ctx.ui.error(`Error checking init status: ${(error as Error).message}`);
      return 1; // 2 means "not initialised" here
    }
    if (ctx.format === 'table')
      ctx.ui.output(initialized ? 'Vault is initialized' : 'Vault is not initialized');
    else outputData(ctx.out, { initialized });
    return initialized ? 0 : 2;
  }
  const shares = ctx.flags.int('key-shares') || DEFAULT_SHARES;
  const threshold = ctx.flags.int('key-threshold') || DEFAULT_THRESHOLD;
  let res: InitResponse;
  try {
    // Only the fields Coffer's Shamir seal takes: PGP and recovery fields are refused by the server.
    res = await client.sys.init({ secret_shares: shares, secret_threshold: threshold });
  } catch (error) {
    return ctx.fail('Error initializing', error);
  }
  if (ctx.format !== 'table') return outputData(ctx.out, machineInit(shares, threshold, res));
  return printInit(ctx, shares, threshold, res);
}

async function unseal(ctx: Context, args: string[]): Promise<number> {
  const bad = checkArgs(ctx, args, 0, 1);
  if (bad !== undefined) return bad;
  const client = ctx.client();
  if (ctx.flags.bool('reset')) {
    try {
      return await printSealStatus(ctx, client, await client.sys.resetUnseal());
    } catch (error) {
      return ctx.fail('Error resetting unseal process', error);
    }
  }
  let key = args[0]?.trim() ?? '';
  if (!key) {
    if (ctx.flags.bool('non-interactive'))
      return ctx.usage('An unseal key is required with -non-interactive');
    try {
      key = (await promptSecret(ctx.io, 'Unseal Key (will be hidden): ')).trim();
    } catch (error) {
      return ctx.usage(`An error occurred attempting to ask for an unseal key: ${(error as Error).message}`);
    }
  }
  try {
    return await printSealStatus(ctx, client, await client.sys.unseal(key, ctx.flags.bool('migrate')));
  } catch (error) {
    return ctx.fail('Error unsealing', error);
  }
}

function printKeyStatus(ctx: Context, status: Record<string, unknown>): number {
  if (ctx.format !== 'table') {
    return outputData(ctx.out, {
      term: status.term,
      install_time: status.install_time,
      encryptions: status.encryptions,
    });
  }
  outputPairs(ctx.out, [
    ['Key Term', String(status.term ?? 0)],
    ['Install Time', rfc822(String(status.install_time ?? ''))],
    ['Encryption Count', String(status.encryptions ?? 0)],
  ]);
  return 0;
}

export const operatorCommands: Command[] = [
  {
    name: 'operator init',
    synopsis: 'Initialise a server',
    help: `Usage: coffer operator init [options]

  Prepares the storage of a new server: generates the root key, splits it into unseal key shares
  (Shamir) and creates the initial root token. The keys are shown once; the server stays sealed.`,
    output: ['format'],
    flags: [
      { name: 'key-shares', aliases: ['n'], kind: 'int', usage: 'Number of unseal key shares (default 5).' },
      { name: 'key-threshold', aliases: ['t'], kind: 'int', usage: 'Shares needed to unseal (default 3).' },
      { name: 'status', kind: 'bool', usage: 'Only report: exit 0 initialised, 2 not initialised, 1 error.' },
    ],
    run: init,
  },
  {
    name: 'operator unseal',
    synopsis: 'Unseal the server with one key share',
    help: `Usage: coffer operator unseal [options] [KEY]

  Submits one unseal key share. Without KEY it is asked for (hidden) on a terminal, or read as one
  line from stdin. Run it once per share until the threshold is reached.`,
    output: ['format', 'field'],
    flags: [
      { name: 'reset', kind: 'bool', usage: 'Discard the shares entered so far.' },
      { name: 'migrate', kind: 'bool', usage: 'The share is part of a seal migration.' },
    ],
    run: unseal,
  },
  {
    name: 'operator seal',
    synopsis: 'Seal the server',
    help: `Usage: coffer operator seal [options]

  Seals the server: the root key is dropped from memory and every request fails until it is
  unsealed again. Needs a token with sudo on sys/seal.`,
    async run(ctx, args) {
      const bad = checkArgs(ctx, args, 0);
      if (bad !== undefined) return bad;
      try {
        await ctx.client().sys.seal();
      } catch (error) {
        return ctx.fail('Error sealing', error);
      }
      ctx.ui.output('Success! Vault is sealed.');
      return 0;
    },
  },
  {
    name: 'operator rotate',
    synopsis: 'Rotate the barrier encryption key',
    help: `Usage: coffer operator rotate [options]

  Adds a new encryption key to the keyring; new writes use it, older entries stay readable.`,
    output: ['format'],
    async run(ctx, args) {
      const bad = checkArgs(ctx, args, 0);
      if (bad !== undefined) return bad;
      const client = ctx.client();
      try {
        await client.sys.rotate();
      } catch (error) {
        return ctx.fail('Error rotating key', error);
      }
      let status: Record<string, unknown>;
      try {
        status = await client.sys.keyStatus();
      } catch (error) {
        return ctx.fail('Error reading key status', error);
      }
      if (ctx.format === 'table') ctx.ui.output('Success! Rotated key\n');
      return printKeyStatus(ctx, status);
    },
  },
  {
    name: 'operator key-status',
    synopsis: 'Show the current encryption key term',
    help: `Usage: coffer operator key-status [options]

  Shows the term of the active encryption key, when it was installed and how many encryptions it did.`,
    output: ['format'],
    async run(ctx, args) {
      const bad = checkArgs(ctx, args, 0);
      if (bad !== undefined) return bad;
      try {
        return await printKeyStatus(ctx, await ctx.client().sys.keyStatus());
      } catch (error) {
        return ctx.fail('Error reading key status', error);
      }
    },
  },
];
