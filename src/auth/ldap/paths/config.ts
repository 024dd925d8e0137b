/** `config`: the directory and how to search it. A write changes only the fields it names, as in Vault. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath } from '../../../framework/path.js';
import { tokenFields, updateTokenParams } from '../../token-fields.js';
import {
  configToWire,
  defaultConfig,
  type LdapConfig,
  loadConfig,
  parseTlsVersion,
  saveConfig,
  validateConfig,
} from '../config.js';

const DN_MAX = 4096;
const PEM_MAX = 256 * 1024;

const configFields = {
  url: field.string('LDAP URLs (ldap:// or ldaps://), comma-separated, tried in order.', { max: 4096 }),
  userdn: field.string('Base DN under which users are searched.', { max: DN_MAX }),
  userattr: field.string('Attribute holding the login name (cn, uid, sAMAccountName).', { max: 256 }),
  userfilter: field.string('Template of the user search filter: {{.UserAttr}} and {{.Username}}.', {
    max: DN_MAX,
  }),
  upndomain: field.string('Bind as username@upndomain (Active Directory).', { max: 1024 }),
  binddn: field.string('DN that searches for the user.', { max: DN_MAX }),
  bindpass: field.string('Password of binddn; never returned.', { max: 4096 }),
  discoverdn: field.bool('Search for the user DN with an anonymous bind.'),
  groupdn: field.string('Base DN of the group membership search.', { max: DN_MAX }),
  groupfilter: field.string('Template of the group search filter: {{.UserDN}} and {{.Username}}.', {
    max: DN_MAX,
  }),
  groupattr: field.string('Attribute of the found objects naming the groups (cn, memberOf).', { max: 256 }),
  anonymous_group_search: field.bool('Search for groups with an anonymous bind.'),
  deny_null_bind: field.bool('Refuse logins with an empty password (default true).'),
  case_sensitive_names: field.bool('Match local user and group names case-sensitively.'),
  username_as_alias: field.bool('Use the login name as the entity alias instead of the userattr value.'),
  starttls: field.bool('Issue StartTLS on ldap:// URLs.'),
  insecure_tls: field.bool('Skip verification of the server certificate (insecure).'),
  certificate: field.string('CA certificate (PEM) that verifies the server.', { max: PEM_MAX }),
  client_tls_cert: field.string('Client certificate (PEM) for mutual TLS.', { max: PEM_MAX }),
  client_tls_key: field.string('Client key (PEM) for mutual TLS; never returned.', { max: PEM_MAX }),
  tls_min_version: field.string('tls10, tls11, tls12 (default) or tls13.', { max: 8 }),
  tls_max_version: field.string('tls10, tls11, tls12 (default) or tls13.', { max: 8 }),
  request_timeout: field.duration('Timeout of each LDAP operation (default 90s).'),
  connection_timeout: field.duration('Timeout of a connection attempt before the next URL (default 30s).'),
  max_page_size: field.int('Page size of paged searches (0: no paging).', { min: 0 }),
  ...tokenFields,
};

type ConfigInput = Input<typeof configFields>;

function applyStrings(config: LdapConfig, input: ConfigInput): void {
  if (input.url !== undefined) config.url = input.url.toLowerCase();
  if (input.userdn !== undefined) config.userDn = input.userdn;
  if (input.userattr !== undefined) config.userAttr = input.userattr.toLowerCase() || 'cn';
  if (input.userfilter !== undefined) config.userFilter = input.userfilter || defaultConfig().userFilter;
  if (input.upndomain !== undefined) config.upnDomain = input.upndomain;
  if (input.binddn !== undefined) config.bindDn = input.binddn;
  if (input.bindpass !== undefined) config.bindPassword = input.bindpass;
  if (input.groupdn !== undefined) config.groupDn = input.groupdn;
  if (input.groupfilter !== undefined) config.groupFilter = input.groupfilter || defaultConfig().groupFilter;
  if (input.groupattr !== undefined) config.groupAttr = input.groupattr || 'cn';
  if (input.certificate !== undefined) config.certificate = input.certificate;
  if (input.client_tls_cert !== undefined) config.clientTlsCert = input.client_tls_cert;
  if (input.client_tls_key !== undefined) config.clientTlsKey = input.client_tls_key;
  if (input.tls_min_version !== undefined)
    config.tlsMinVersion = parseTlsVersion(input.tls_min_version, 'tls_min_version');
  if (input.tls_max_version !== undefined)
    config.tlsMaxVersion = parseTlsVersion(input.tls_max_version, 'tls_max_version');
}

function applyOthers(config: LdapConfig, input: ConfigInput): void {
  if (input.discoverdn !== undefined) config.discoverDn = input.discoverdn;
  if (input.anonymous_group_search !== undefined) config.anonymousGroupSearch = input.anonymous_group_search;
  if (input.deny_null_bind !== undefined) config.denyNullBind = input.deny_null_bind;
  if (input.case_sensitive_names !== undefined) config.caseSensitiveNames = input.case_sensitive_names;
  if (input.username_as_alias !== undefined) config.usernameAsAlias = input.username_as_alias;
  if (input.starttls !== undefined) config.startTls = input.starttls;
  if (input.insecure_tls !== undefined) config.insecureTls = input.insecure_tls;
  // A negative timeout would fire at once: every login would time out.
  if ((input.request_timeout ?? 0) < 0) throw invalid("'request_timeout' must not be negative");
  if ((input.connection_timeout ?? 0) < 0) throw invalid("'connection_timeout' must not be negative");
  if (input.request_timeout !== undefined) config.requestTimeoutSeconds = input.request_timeout || 90;
  if (input.connection_timeout !== undefined)
    config.connectionTimeoutSeconds = input.connection_timeout || 30;
  if (input.max_page_size !== undefined) config.maxPageSize = input.max_page_size;
  config.token = updateTokenParams(config.token, input);
}

export const configPaths = [
  definePath({
    pattern: 'config',
    fields: configFields,
    operations: {
      async read(ctx) {
        // A mount never configured answers Vault's defaults.
        return { data: configToWire((await loadConfig(ctx.storage)) ?? defaultConfig()) };
      },
      async update(ctx, input) {
        const config = (await loadConfig(ctx.storage)) ?? defaultConfig();
        applyStrings(config, input);
        applyOthers(config, input);
        validateConfig(config);
        await saveConfig(ctx.storage, config);
      },
    },
    help: 'Configures the LDAP server, the user and group searches, and the token settings of every login.',
  }),
];
