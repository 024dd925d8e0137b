/**
 * The conversation with the directory at login (Vault's `ldaputil` client): connect to the first
 * URL that answers (StartTLS or ldaps as configured), find the user's bind DN (built from `userdn`,
 * `upndomain`, or searched for with `binddn`/`bindpass` or anonymously with `discoverdn`), bind as
 * the user with their password, then resolve their groups with `groupfilter`/`groupattr`. Every
 * caller-supplied value is escaped on its way into a filter or a DN.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Client, Entry } from 'ldapts';
import { CofferError, invalid } from '../../core/errors.js';
import { type LdapConfig, TLS_VERSIONS } from './config.js';
import { commonName, escapeDnValue, renderFilter } from './escape.js';

/**
 * ldapts, loaded at the first login rather than at server start (31 ms of every cold start, for a
 * method many servers never mount). Everything that inspects its errors runs after connect().
 */
let ldapts: typeof import('ldapts') | undefined;
const loadLdapts = async () => {
  ldapts ??= await import('ldapts');
  return ldapts;
};

/** An LDAP result the server sent (a refused bind, a failed search): an answer, not a network error. */
function isResultCodeError(error: unknown): error is { code: number } {
  return ldapts !== undefined && error instanceof ldapts.ResultCodeError;
}

/** The one answer for a wrong password and an unknown user alike (Vault's errUserBindFailed). */
export const USER_BIND_FAILED = 'ldap operation failed: failed to bind as user';

/** The directory refused the credentials (or knows no such user): a failed login that counts toward lockout. */
export class CredentialsRejected extends Error {
  constructor() {
    super(USER_BIND_FAILED);
  }
}

export interface DirectoryLogin {
  userDn: string;
  /** Group names as the directory gives them (the `groupattr` value, or a DN's `cn`). */
  groups: string[];
  /** The `userattr` value of the user's entry: the entity alias when not `username_as_alias`. */
  aliasName: string;
}

function tlsOptions(config: LdapConfig, host: string): ConnectionOptions {
  return {
    servername: host,
    minVersion: TLS_VERSIONS[config.tlsMinVersion],
    maxVersion: TLS_VERSIONS[config.tlsMaxVersion],
    rejectUnauthorized: !config.insecureTls,
    ...(config.certificate ? { ca: [config.certificate] } : {}),
    ...(config.clientTlsCert ? { cert: config.clientTlsCert, key: config.clientTlsKey } : {}),
  };
}

/**
 * Connects to the first URL where `first` (the session's first operation) gets an answer from a
 * server. An LDAP result (wrong password, say) is an answer and is not retried elsewhere; a refused
 * or timed-out connection moves on to the next URL, as Vault does. So does a server that refuses
 * StartTLS (Vault's DialLDAP counts it as a failed dial): the next URL gets its own StartTLS, and no
 * URL is ever used without it.
 */
async function connect(config: LdapConfig, first: (client: Client) => Promise<void>): Promise<Client> {
  const { Client } = await loadLdapts();
  const failures: string[] = [];
  for (const raw of config.url.split(',')) {
    const url = raw.trim();
    const host = new URL(url).hostname;
    const tls = tlsOptions(config, host);
    const client = new Client({
      url,
      timeout: timerMs(config.requestTimeoutSeconds),
      connectTimeout: timerMs(config.connectionTimeoutSeconds),
      // ldapts speaks TLS from the first byte whenever it is given TLS options, even on ldap://.
      ...(url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
    });
    let dialled = false;
    try {
      if (config.startTls && url.startsWith('ldap:')) {
        // ldapts times the StartTLS request but not the handshake after it: a server that accepts
        // StartTLS and then stays silent would hold the login (and the socket) forever.
        await withinTimeout(client.startTLS(tls), timerMs(config.requestTimeoutSeconds));
      }
      dialled = true;
      await first(client);
      return client;
    } catch (error) {
      await close(client);
      if (error instanceof CredentialsRejected || error instanceof CofferError) throw error;
      // The server answered the session's first operation: no other URL is tried.
      if (dialled && isResultCodeError(error))
        throw invalid(`ldap operation failed: result code ${error.code}`);
      // The error's code (ECONNREFUSED, a TLS verification code, StartTLS's result code), never its
      // text, which could quote a DN.
      const reason = isResultCodeError(error)
        ? `result code ${error.code}`
        : ((error as NodeJS.ErrnoException).code ?? (error as Error).name);
      failures.push(`error connecting to host ${JSON.stringify(url)}: ${reason}`);
    }
  }
  throw invalid(failures.join('; ') || 'ldap operation failed: failed to connect to LDAP server');
}

/** Node's timers hold at most 2^31-1 ms; a longer delay (request_timeout=720h) fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerMs(seconds: number): number {
  return Math.min(seconds * 1000, MAX_TIMER_MS);
}

/** `work`, or an ETIMEDOUT error once `ms` have passed (the caller then closes the client). */
async function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function close(client: Client): Promise<void> {
  await client.unbind().catch(() => undefined);
}

/** Binds as `dn`; an empty password makes it an unauthenticated bind (only reached when deny_null_bind is off). */
async function bindAs(client: Client, dn: string, password: string): Promise<void> {
  await client.bind(dn, password);
}

function attributeValues(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key || key === 'dn') return [];
  const value = entry[key];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

async function search(
  client: Client,
  config: LdapConfig,
  base: string,
  filter: string,
  attributes: string[],
) {
  const paged = config.maxPageSize > 0 ? { pageSize: config.maxPageSize } : undefined;
  const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes, paged });
  return searchEntries;
}

function userSearchFilter(config: LdapConfig, username: string): string {
  if (config.upnDomain) {
    return renderFilter(config.userFilter, {
      UserAttr: 'userPrincipalName',
      Username: `${username}@${config.upnDomain}`,
    });
  }
  return renderFilter(config.userFilter, { UserAttr: config.userAttr, Username: username });
}

function searchesForUser(config: LdapConfig): boolean {
  return config.discoverDn || (config.bindDn !== '' && config.bindPassword !== '');
}

/** Binds as the service account (or anonymously) and finds the one entry the user filter names. */
async function discoverBindDn(client: Client, config: LdapConfig, username: string): Promise<string> {
  // A refused service bind or search is the operator's problem, not the caller's guess: Vault's
  // text, but no lockout count. A network error goes up so that connect() tries the next URL.
  await bindAs(client, config.bindDn, config.bindPassword).catch((error: unknown) => {
    throw isResultCodeError(error) ? invalid(USER_BIND_FAILED) : error;
  });
  const entries = await search(client, config, config.userDn, userSearchFilter(config, username), [
    '1.1',
  ]).catch((error: unknown) => {
    throw searchFailure(error);
  });
  // None, or more than one (a filter the name widened, a duplicate): never guess which user this is.
  if (entries.length !== 1) throw new CredentialsRejected();
  return entries[0].dn;
}

/**
 * A failed search as a 400 that carries neither the filter nor the server's diagnostic text, either
 * of which may hold the login name.
 */
function searchFailure(error: unknown): Error {
  if (error instanceof CofferError) return error;
  if (isResultCodeError(error)) return invalid(`LDAP search failed: result code ${error.code}`);
  return invalid('LDAP search failed');
}

function constructedBindDn(config: LdapConfig, username: string): string {
  if (config.upnDomain) return `${escapeDnValue(username)}@${config.upnDomain}`;
  return `${config.userAttr}=${escapeDnValue(username)},${config.userDn}`;
}

async function groupsOf(client: Client, config: LdapConfig, userDn: string, username: string) {
  if (!config.groupFilter || !config.groupDn) return [];
  const filter = renderFilter(config.groupFilter, { UserDN: userDn, Username: username });
  const entries = await search(client, config, config.groupDn, filter, [config.groupAttr]);
  const groups = new Set<string>();
  for (const entry of entries) {
    const values = attributeValues(entry, config.groupAttr);
    for (const value of values.length ? values : [entry.dn]) groups.add(commonName(value));
  }
  return [...groups];
}

/**
 * The entity alias: the one `userattr` value of the user's entry. Several values are refused, as
 * Vault refuses them: which one the server lists first is not stable, and a user who can add a
 * value to their own entry (`cn: alice`) would otherwise take another user's alias and entity.
 */
async function aliasOf(client: Client, config: LdapConfig, userDn: string, username: string) {
  if (config.upnDomain) return `${username}@${config.upnDomain}`;
  const { searchEntries } = await client.search(userDn, {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: [config.userAttr],
  });
  const values = searchEntries[0] ? attributeValues(searchEntries[0], config.userAttr) : [];
  if (values.length > 1) {
    throw invalid(
      `LDAP entity alias attribute ${config.userAttr} empty or not unique for entity alias mapping`,
    );
  }
  return values[0] ?? '';
}

/** Rethrows an LDAP failure during the user's own bind as a rejected login; anything else as is. */
function asRejection(error: unknown): never {
  if (isResultCodeError(error)) throw new CredentialsRejected();
  throw error;
}

/**
 * Authenticates `username` with `password` and resolves their groups. Throws CredentialsRejected
 * for a wrong password or an unknown user, and a 400 naming the step for anything else.
 */
export async function authenticate(
  config: LdapConfig,
  username: string,
  password: string,
): Promise<DirectoryLogin> {
  let userBindDn = searchesForUser(config) ? '' : constructedBindDn(config, username);
  const client = await connect(config, async (c) => {
    if (searchesForUser(config)) userBindDn = await discoverBindDn(c, config, username);
    await bindAs(c, userBindDn, password).catch(asRejection);
  });
  try {
    if (config.bindDn && config.bindPassword) {
      await bindAs(client, config.bindDn, config.bindPassword).catch(() => {
        throw invalid('ldap operation failed: failed to re-bind with the BindDN user');
      });
    }
    const userDn = config.upnDomain ? await upnUserDn(client, config, username, userBindDn) : userBindDn;
    // username_as_alias needs no alias from the directory (Vault does not ask for one either).
    const aliasName = config.usernameAsAlias ? '' : await aliasOf(client, config, userDn, username);
    const groups = config.anonymousGroupSearch
      ? await anonymousGroups(config, userDn, username)
      : await groupsOf(client, config, userDn, username);
    return { userDn, groups, aliasName };
  } catch (error) {
    throw searchFailure(error);
  } finally {
    await close(client);
  }
}

async function upnUserDn(client: Client, config: LdapConfig, username: string, fallback: string) {
  const filter = `(userPrincipalName=${renderFilter('{{.Username}}', { Username: `${username}@${config.upnDomain}` })})`;
  const entries = await search(client, config, config.userDn, filter, ['1.1']);
  return entries.at(-1)?.dn ?? fallback;
}

async function anonymousGroups(config: LdapConfig, userDn: string, username: string): Promise<string[]> {
  const client = await connect(config, async () => undefined);
  try {
    return await groupsOf(client, config, userDn, username);
  } finally {
    await close(client);
  }
}
