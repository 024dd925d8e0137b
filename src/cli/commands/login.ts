/** `login`: authenticate, then keep the token in the token helper file (`~/.vault-token`, mode 0600). */
import type { VaultClient } from '../../client/client.js';
import type { Secret } from '../../client/secret.js';
import { storeTokenFile } from '../../client/token-helper.js';
import { type Command, type Context, ensureTrailingSlash, sanitizePath } from '../command.js';
import { outputSecret, printRawField } from '../format/output.js';
import { wrapAtLength } from '../io.js';
import { parseArgsData, toStrings } from '../kv-args.js';
import { LOGIN_METHODS } from './login-methods.js';

/** A wrapped login answer is unwrapped (unless only the wrapping token is wanted). */
async function extractToken(
  client: VaultClient,
  secret: Secret,
  unwrap: boolean,
): Promise<[Secret, boolean]> {
  if (secret.auth) return [secret, false];
  if (!secret.wrap_info) throw new Error('no auth or wrapping info in response');
  if (!secret.wrap_info.wrapped_accessor) throw new Error('wrapped response does not contain a token');
  if (!unwrap) return [secret, true];
  client.token = secret.wrap_info.token;
  const unwrapped = await client.unwrap();
  if (!unwrapped) throw new Error('empty response from unwrap');
  return extractToken(client, unwrapped, unwrap);
}

function warnIfEnvToken(ctx: Context): void {
  if (ctx.io.env.VAULT_TOKEN || ctx.io.env.COFFER_TOKEN) {
    ctx.ui.warn(
      `${wrapAtLength(
        'WARNING! The VAULT_TOKEN environment variable is set! Its value takes precedence over the stored ' +
          'token; unset it or update it if that is not what you want.',
      )}\n`,
    );
  }
}

async function configFor(ctx: Context, method: string, args: string[]): Promise<Record<string, string>> {
  // `login TOKEN` is short for `login token=TOKEN` (and `login -` reads the token from stdin).
  const pairs =
    method === 'token' && args.length > 0 && !args[0].includes('=')
      ? [`token=${args[0]}`, ...args.slice(1)]
      : args;
  return toStrings(await parseArgsData(pairs, ctx.kvInput));
}

async function login(ctx: Context, args: string[]): Promise<number> {
  const tokenOnly = ctx.flags.bool('token-only');
  const noStore = tokenOnly || ctx.flags.bool('no-store');
  const noPrint = ctx.flags.bool('no-print');
  const field = tokenOnly ? 'token' : ctx.field;
  if (noStore && noPrint) return ctx.usage('-no-store and -no-print cannot be used together');
  const method = sanitizePath(ctx.flags.string('method')) || 'token';
  const handler = LOGIN_METHODS[method];
  if (!handler) {
    return ctx.usage(
      wrapAtLength(`Unknown auth method: ${method}. Use "coffer auth list" to see the enabled auth methods.`),
    );
  }
  let config: Record<string, string>;
  try {
    config = await configFor(ctx, method, args);
  } catch (error) {
    return ctx.usage(`Error parsing configuration: ${(error as Error).message}`);
  }
  config.mount ||= ctx.flags.string('path') || ensureTrailingSlash(method);
  const client = ctx.client();
  // Only a token login may use the token already on file.
  if (method !== 'token') client.token = undefined;
  let secret: Secret;
  let wrapped: boolean;
  try {
    [secret, wrapped] = await handler
      .login(ctx, client, config)
      .then((s) => extractToken(client, s, !tokenOnly && !noStore));
  } catch (error) {
    return ctx.fail('Error authenticating', error);
  }
  if (wrapped) {
    return tokenOnly ? printRawField(ctx.out, secret, 'wrapping_token') : outputSecret(ctx.out, secret);
  }
  const token = secret.auth!.client_token;
  if (!noStore) {
    try {
      await storeTokenFile(ctx.tokenPath, token);
    } catch (error) {
      ctx.ui.error(`Error storing token: ${(error as Error).message}`);
      ctx.ui.error(
        `${wrapAtLength('Authentication worked but the token was not saved; it is shown below.')}\n`,
      );
      outputSecret(ctx.out, secret);
      return 2;
    }
    warnIfEnvToken(ctx);
  } else if (!tokenOnly) {
    ctx.ui.warn(
      `${wrapAtLength(
        'The token was not stored in the token helper. Set VAULT_TOKEN to it, or pass it with each request.',
      )}\n`,
    );
  }
  if (noPrint) return 0;
  if (field) return printRawField(ctx.out, secret, field);
  if (ctx.format === 'table') {
    ctx.ui.output(
      `${wrapAtLength(
        'Success! You are now authenticated. The token shown below is saved in the token helper, so later ' +
          'commands use it without logging in again.',
      )}\n`,
    );
  }
  return outputSecret(ctx.out, secret);
}

export const loginCommands: Command[] = [
  {
    name: 'login',
    synopsis: 'Authenticate locally',
    help: `Usage: coffer login [options] [TOKEN | K=V...]

  Authenticates and saves the resulting token in ~/.vault-token (mode 0600) for later commands.
  The default method is "token": the token is checked with auth/token/lookup-self. Without TOKEN
  it is asked for; "-" reads it from stdin. Other methods (-method=userpass, ldap) take K=V pairs.`,
    output: ['field', 'format'],
    flags: [
      {
        name: 'method',
        kind: 'string',
        default: 'token',
        usage: 'Auth method type: token, userpass or ldap.',
      },
      { name: 'path', kind: 'string', usage: 'Mount path of the auth method (default: the method type).' },
      { name: 'no-store', kind: 'bool', usage: 'Do not save the token in the token helper.' },
      { name: 'no-print', kind: 'bool', usage: 'Do not print the token (it is still saved).' },
      {
        name: 'token-only',
        kind: 'bool',
        usage: 'Print only the token, do not save it (-field=token -no-store).',
      },
    ],
    run: login,
  },
];
