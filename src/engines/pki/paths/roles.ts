/** `roles/` and `roles/:name`: a write replaces the role, with Vault's defaults for what it leaves out. */
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import {
  deleteRole,
  listRoles,
  loadRole,
  type RoleInput,
  roleFromInput,
  roleToWire,
  saveRole,
} from '../role.js';

const roleFields = {
  name: field.name('Name of the role.'),
  ttl: field.duration('Default certificate TTL; the mount default when 0.'),
  max_ttl: field.duration('Longest certificate TTL; the mount maximum when 0.'),
  allow_localhost: field.bool('Allow localhost and localdomain (default true).'),
  allowed_domains: field.stringList('Domains the names may be in, as the allow_* flags say.'),
  allow_bare_domains: field.bool('Allow the allowed domains themselves.'),
  allow_subdomains: field.bool('Allow subdomains of the allowed domains, wildcards included.'),
  allow_glob_domains: field.bool('Treat `*` in allowed_domains as a glob.'),
  allow_wildcard_certificates: field.bool('Allow wildcard names at all (default true).'),
  allow_any_name: field.bool('Allow any name (hostname checks still apply).'),
  enforce_hostnames: field.bool('Require valid hostnames (default true).'),
  allow_ip_sans: field.bool('Allow IP SANs (default true).'),
  allowed_ip_sans_cidr: field.stringList('CIDRs IP SANs must fall in, from the API and from CSRs.'),
  server_flag: field.bool('TLS server use (default true).'),
  client_flag: field.bool('TLS client use (default true).'),
  code_signing_flag: field.bool('Code signing use.'),
  email_protection_flag: field.bool('Email protection use.'),
  key_type: field.string('rsa (default), ec, ed25519, or any (sign only).', { max: 16 }),
  key_bits: field.int('RSA bits or EC curve size; 0 for the type default.'),
  key_usage: field.stringList('Key usages (default DigitalSignature, KeyAgreement, KeyEncipherment).'),
  ext_key_usage: field.stringList('Extra extended key usages, e.g. ServerAuth.'),
  use_csr_common_name: field.bool('sign: take the common name from the CSR (default true).'),
  use_csr_sans: field.bool('sign: take the SANs from the CSR (default true).'),
  require_cn: field.bool('Require a common name (default true).'),
  no_store: field.bool('Do not store issued certificates (they cannot be listed or fetched).'),
  generate_lease: field.bool('Give issued certificates a lease whose revocation revokes them.'),
  not_before_duration: field.duration('How far before now certificates become valid (30s default).'),
};

async function writeRole(ctx: EngineContext, input: Input<typeof roleFields>) {
  const { name, ...rest } = input;
  const role = roleFromInput(rest as RoleInput);
  await saveRole(ctx.storage, name!, role);
  return { data: roleToWire(role) };
}

async function readRole(ctx: EngineContext, input: Input<typeof roleFields>) {
  const role = await loadRole(ctx.storage, input.name!);
  return role && { data: roleToWire(role) };
}

export const rolePaths = [
  definePath({
    pattern: 'roles/',
    operations: { list: async (ctx) => ({ data: { keys: await listRoles(ctx.storage) } }) },
    help: 'List the roles.',
  }),
  definePath({
    pattern: 'roles/:name',
    fields: roleFields,
    exists: (ctx, input) => ctx.storage.has(`role/${input.name}`),
    operations: {
      read: readRole,
      create: writeRole,
      update: writeRole,
      delete: async (ctx, input) => deleteRole(ctx.storage, input.name!),
    },
    help: 'Manage the roles that issue/:role and sign/:role follow.',
  }),
];
