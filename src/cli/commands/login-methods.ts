/** Auth methods `login -method=…` knows: each turns K=V configuration into a secret carrying `auth`. */
import type { VaultClient } from '../../client/client.js';
import { parseGoBool } from '../../client/env.js';
import { isRecord, parseSecret, type Secret } from '../../client/secret.js';
import { type Context, sanitizePath } from '../command.js';
import { promptSecret } from '../io.js';

export interface LoginMethod {
  help: string;
  login(ctx: Context, client: VaultClient, config: Record<string, string>): Promise<Secret>;
}

const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : null);

async function askHidden(ctx: Context, prompt: string): Promise<string> {
  if (ctx.flags.bool('non-interactive')) throw new Error('no value given and -non-interactive is set');
  // Prompts go to stderr so that `-field=token` output on stdout stays clean.
  return promptSecret(ctx.io, prompt, ctx.io.stderr);
}

/** Token "login": checks the token with lookup-self and presents it as an auth block. */
const tokenMethod: LoginMethod = {
  help: 'coffer login [TOKEN]   (token=..., lookup=false to skip the lookup)',
  async login(ctx, client, config) {
    let lookup = true;
    if (config.lookup !== undefined) {
      const parsed = parseGoBool(config.lookup);
      if (parsed === undefined) throw new Error(`Failed to parse "lookup" as boolean: ${config.lookup}`);
      lookup = parsed;
    }
    const token = (config.token ?? (await askHidden(ctx, 'Token (will be hidden): '))).trim();
    if (!token) throw new Error('a token must be passed to auth, please view the help for more information');
    const blank: Secret = {
      request_id: '',
      lease_id: '',
      lease_duration: 0,
      renewable: false,
      data: null,
      warnings: null,
      wrap_info: null,
      mount_type: '',
      auth: null,
    };
    const auth = { orphan: false, entity_id: '', mfa_requirement: null };
    if (!lookup) {
      return {
        ...blank,
        auth: {
          ...auth,
          client_token: token,
          accessor: '',
          policies: null,
          token_policies: null,
          identity_policies: null,
          metadata: null,
          lease_duration: 0,
          renewable: false,
        },
      };
    }
    client.token = token;
    let body: unknown;
    try {
      body = (await client.request({ method: 'GET', path: 'auth/token/lookup-self', wrapTtl: null })).body;
    } catch (error) {
      throw new Error(`error looking up token: ${(error as Error).message}`);
    }
    const data = parseSecret(body)?.data;
    if (!data) throw new Error('empty response from lookup-self');
    const tokenPolicies = strings(data.policies);
    const identityPolicies = strings(data.identity_policies);
    const meta = isRecord(data.meta) ? data.meta : isRecord(data.metadata) ? data.metadata : null;
    return {
      ...blank,
      auth: {
        ...auth,
        client_token: typeof data.id === 'string' ? data.id : token,
        accessor: typeof data.accessor === 'string' ? data.accessor : '',
        policies:
          tokenPolicies || identityPolicies ? [...(tokenPolicies ?? []), ...(identityPolicies ?? [])] : null,
        token_policies: tokenPolicies,
        identity_policies: identityPolicies,
        metadata: meta as Record<string, string> | null,
        lease_duration: typeof data.ttl === 'number' ? data.ttl : 0,
        renewable: data.renewable === true,
      },
    };
  },
};

/** The login write every method ends with; a login that answers nothing is an error. */
async function loginWrite(client: VaultClient, path: string, body: Record<string, unknown>): Promise<Secret> {
  const secret = await client.write(path, body);
  if (!secret) throw new Error('empty response from credential provider');
  return secret;
}

/** userpass and ldap: `auth/<mount>/login/<username>` with the password (asked for when not given). */
const passwordMethod: LoginMethod = {
  help: 'coffer login -method=userpass username=NAME [password=...]',
  async login(ctx, client, config) {
    const username = config.username;
    if (!username) throw new Error("'username' must be specified");
    const password = config.password ?? (await askHidden(ctx, 'Password (will be hidden): '));
    const mount = sanitizePath(config.mount);
    return loginWrite(client, `auth/${mount}/login/${username}`, { password });
  },
};

/** approle: `auth/<mount>/login` with role_id and secret_id (asked for when not given). */
const approleMethod: LoginMethod = {
  help: 'coffer login -method=approle role_id=ID [secret_id=...]',
  async login(ctx, client, config) {
    const roleId = config.role_id;
    if (!roleId) throw new Error("'role_id' must be specified");
    const secretId = config.secret_id ?? (await askHidden(ctx, 'Secret ID (will be hidden): '));
    const mount = sanitizePath(config.mount);
    return loginWrite(client, `auth/${mount}/login`, { role_id: roleId, secret_id: secretId });
  },
};

/** jwt and kubernetes: `auth/<mount>/login` with a role and a JWT (`jwt=@file` reads it from a file). */
const roleJwtMethod: LoginMethod = {
  help: 'coffer login -method=jwt|kubernetes role=NAME jwt=TOKEN (or jwt=@path/to/token)',
  async login(_ctx, client, config) {
    const jwt = config.jwt?.trim();
    if (!jwt) throw new Error("'jwt' must be specified");
    const mount = sanitizePath(config.mount);
    return loginWrite(client, `auth/${mount}/login`, { role: config.role ?? '', jwt });
  },
};

export const LOGIN_METHODS: Record<string, LoginMethod> = {
  token: tokenMethod,
  userpass: passwordMethod,
  ldap: passwordMethod,
  jwt: roleJwtMethod,
  kubernetes: roleJwtMethod,
  approle: approleMethod,
};
