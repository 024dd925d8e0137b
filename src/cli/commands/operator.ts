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
function machineInit(split: Split, res: InitResponse) {
  return {
    unseal_keys_b64: res.keys_base64 ?? [],
    unseal_keys_hex: res.keys ?? [],
    unseal_shares: split.auto ? 1 : split.shares,
    unseal_threshold: split.auto ? 1 : split.threshold,
    recovery_keys_b64: res.recovery_keys_base64 ?? [],
    recovery_keys_hex: res.recovery_keys ?? [],
    recovery_keys_shares: split.auto ? split.shares : 0,
    recovery_keys_threshold: split.auto ? split.threshold : 0,
    root_token: res.root_token,
  };
}

interface Split {
  /** An auto seal (seal-status' recovery_seal): the split is of the recovery key. */
  auto: boolean;
  shares: number;
  threshold: number;
}

/** The key lines (base64 where the server sent it, as vault prints them), then the root token. */
function printKeys(ctx: Context, label: string, hex: string[], base64: string[] | undefined, root: string) {
  hex.forEach((key, i) => {
    ctx.ui.output(`${label} ${i + 1}: ${base64?.length === hex.length ? base64[i] : key}`);
  });
  ctx.ui.output('');
  ctx.ui.output(`Initial Root Token: ${root}`);
  ctx.ui.output('');
}

function printRecoveryInit(ctx: Context, split: Split, res: InitResponse): number {
  printKeys(ctx, 'Recovery Key', res.recovery_keys ?? [], res.recovery_keys_base64, res.root_token);
  ctx.ui.output(
    wrapAtLength(
      `Success! The server was initialised with ${split.shares} recovery key shares and a recovery key ` +
        `threshold of ${split.threshold}. It unseals itself through its seal. Recovery keys authorise ` +
        'operations; they cannot decrypt the root key: if the seal is lost, the data is lost.',
    ),
  );
  return 0;
}

function printInit(ctx: Context, shares: number, threshold: number, res: InitResponse): number {
  printKeys(ctx, 'Unseal Key', res.keys ?? [], res.keys_base64, res.root_token);
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
  let res: InitResponse;
  let split: Split;
  try {
    // As the vault CLI: an auto seal takes the recovery split, a Shamir seal the unseal-key split.
    const auto = (await client.sys.sealStatus()).recovery_seal === true;
    split = auto
      ? {
          auto,
          shares: ctx.flags.int('recovery-shares') || DEFAULT_SHARES,
          threshold: ctx.flags.int('recovery-threshold') || DEFAULT_THRESHOLD,
        }
      : {
          auto,
          shares: ctx.flags.int('key-shares') || DEFAULT_SHARES,
          threshold: ctx.flags.int('key-threshold') || DEFAULT_THRESHOLD,
        };
    res = await client.sys.init(
      auto
        ? { recovery_shares: split.shares, recovery_threshold: split.threshold }
        : { secret_shares: split.shares, secret_threshold: split.threshold },
    );
  } catch (error) {
    return ctx.fail('Error initializing', error);
  }
  if (ctx.format !== 'table') return outputData(ctx.out, machineInit(split, res));
  if (split.auto) return printRecoveryInit(ctx, split, res);
  return printInit(ctx, split.shares, split.threshold, res);
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
      {
        name: 'recovery-shares',
        kind: 'int',
        usage: 'Auto seal: number of recovery key shares (default 5).',
      },
      {
        name: 'recovery-threshold',
        kind: 'int',
        usage: 'Auto seal: recovery shares needed to authorise (default 3).',
      },
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
