/**
 * The LDAP method's `config`: which directory to ask, how to find a user and their groups, and the
 * token settings every login gets. Stored under `config`; `bindpass` and the client key never leave
 * the server. Vault's defaults (`sdk/helper/ldaputil` ConfigFields) apply to a mount never configured.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { invalid } from '../../core/errors.js';
import type { StorageView } from '../../framework/storage-view.js';
import { defaultTokenParams, type TokenParams, tokenParamsToWire } from '../token-fields.js';
import { validateTemplate } from './escape.js';

export interface LdapConfig {
  url: string;
  userDn: string;
  userAttr: string;
  userFilter: string;
  upnDomain: string;
  bindDn: string;
  bindPassword: string;
  discoverDn: boolean;
  groupDn: string;
  groupFilter: string;
  groupAttr: string;
  anonymousGroupSearch: boolean;
  denyNullBind: boolean;
  caseSensitiveNames: boolean;
  usernameAsAlias: boolean;
  startTls: boolean;
  insecureTls: boolean;
  certificate: string;
  clientTlsCert: string;
  clientTlsKey: string;
  tlsMinVersion: TlsVersion;
  tlsMaxVersion: TlsVersion;
  requestTimeoutSeconds: number;
  connectionTimeoutSeconds: number;
  maxPageSize: number;
  token: TokenParams;
}

export const TLS_VERSIONS = { tls10: 'TLSv1', tls11: 'TLSv1.1', tls12: 'TLSv1.2', tls13: 'TLSv1.3' } as const;
export type TlsVersion = keyof typeof TLS_VERSIONS;

export const DEFAULT_USER_FILTER = '({{.UserAttr}}={{.Username}})';
export const DEFAULT_GROUP_FILTER =
  '(|(memberUid={{.Username}})(member={{.UserDN}})(uniqueMember={{.UserDN}}))';

export function defaultConfig(): LdapConfig {
  return {
    url: 'ldap://127.0.0.1',
    userDn: '',
    userAttr: 'cn',
    userFilter: DEFAULT_USER_FILTER,
    upnDomain: '',
    bindDn: '',
    bindPassword: '',
    discoverDn: false,
    groupDn: '',
    groupFilter: DEFAULT_GROUP_FILTER,
    groupAttr: 'cn',
    anonymousGroupSearch: false,
    denyNullBind: true,
    caseSensitiveNames: false,
    usernameAsAlias: false,
    startTls: false,
    insecureTls: false,
    certificate: '',
    clientTlsCert: '',
    clientTlsKey: '',
    tlsMinVersion: 'tls12',
    tlsMaxVersion: 'tls12',
    requestTimeoutSeconds: 90,
    connectionTimeoutSeconds: 30,
    maxPageSize: 0,
    token: defaultTokenParams(),
  };
}

export async function loadConfig(storage: StorageView): Promise<LdapConfig | undefined> {
  const stored = await storage.getJson<LdapConfig>('config');
  return stored && { ...defaultConfig(), ...stored };
}

export function saveConfig(storage: StorageView, config: LdapConfig): Promise<void> {
  return storage.putJson('config', config);
}

function isTlsVersion(value: string): value is TlsVersion {
  return Object.hasOwn(TLS_VERSIONS, value);
}

export function parseTlsVersion(value: string, name: string): TlsVersion {
  if (!isTlsVersion(value)) throw invalid(`invalid '${name}'`);
  return value;
}

/** The checks Vault makes when the config is written, so that a login never meets a broken one. */
export function validateConfig(config: LdapConfig): void {
  if (config.url.trim() === '') throw invalid('at least one url must be provided');
  for (const url of config.url.split(',')) {
    // The login parses each URL again (new URL): one it cannot parse (`ldap://a b`, a port past
    // 65535) would make every login a 500.
    if (!/^ldaps?:\/\/[^/]+\/?$/.test(url.trim()) || !URL.canParse(url.trim())) {
      throw invalid(`invalid LDAP URL ${JSON.stringify(url)}`);
    }
  }
  validateTemplate(config.userFilter, ['UserAttr', 'Username'], 'userfilter');
  validateTemplate(config.groupFilter, ['UserDN', 'Username'], 'groupfilter');
  if (config.tlsMaxVersion < config.tlsMinVersion) {
    throw invalid("'tls_max_version' must be greater than or equal to 'tls_min_version'");
  }
  if (config.certificate) {
    try {
      new X509Certificate(config.certificate);
    } catch {
      throw invalid('failed to parse certificate');
    }
  }
  if (Boolean(config.clientTlsCert) !== Boolean(config.clientTlsKey)) {
    throw invalid('both client_tls_cert and client_tls_key must be set');
  }
  if (config.clientTlsCert && !isKeyPair(config.clientTlsCert, config.clientTlsKey)) {
    throw invalid('failed to parse client X509 key pair');
  }
  // Vault's check: with none of these, a login would bind as `<userattr>=<name>,` (no base DN).
  const searches = config.discoverDn || (config.bindDn !== '' && config.bindPassword !== '');
  if (!searches && config.upnDomain === '' && config.userDn === '') {
    throw invalid('cannot derive UserBindDN');
  }
}

/** A PEM certificate and the private key that belongs to it (Go's tls.X509KeyPair). */
function isKeyPair(certificate: string, key: string): boolean {
  try {
    return new X509Certificate(certificate).checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

/** The config as a read answers it: never `bindpass` or `client_tls_key`. */
export function configToWire(config: LdapConfig): Record<string, unknown> {
  return {
    url: config.url,
    userdn: config.userDn,
    userattr: config.userAttr,
    userfilter: config.userFilter,
    upndomain: config.upnDomain,
    binddn: config.bindDn,
    discoverdn: config.discoverDn,
    groupdn: config.groupDn,
    groupfilter: config.groupFilter,
    groupattr: config.groupAttr,
    anonymous_group_search: config.anonymousGroupSearch,
    deny_null_bind: config.denyNullBind,
    case_sensitive_names: config.caseSensitiveNames,
    username_as_alias: config.usernameAsAlias,
    starttls: config.startTls,
    insecure_tls: config.insecureTls,
    certificate: config.certificate,
    client_tls_cert: config.clientTlsCert,
    tls_min_version: config.tlsMinVersion,
    tls_max_version: config.tlsMaxVersion,
    request_timeout: config.requestTimeoutSeconds,
    connection_timeout: config.connectionTimeoutSeconds,
    max_page_size: config.maxPageSize,
    ...tokenParamsToWire(config.token),
  };
}

/** How local users and groups are keyed: lower-cased unless `case_sensitive_names`. */
export function canonicalName(config: Pick<LdapConfig, 'caseSensitiveNames'>, name: string): string {
  const trimmed = name.trim();
  return config.caseSensitiveNames ? trimmed : trimmed.toLowerCase();
}
