/** A PKI role: what `issue/:role` and `sign/:role` may put in a certificate. Stored at `role/<name>`. */
import { invalid } from '../../core/errors.js';
import type { StorageView } from '../../framework/storage-view.js';
import { checkKeyBits } from './keys.js';
import { type NameRules, parseCidrs } from './names.js';

export interface Role extends NameRules {
  ttl: number;
  maxTtl: number;
  allowIpSans: boolean;
  allowedIpSansCidr: string[];
  serverFlag: boolean;
  clientFlag: boolean;
  codeSigningFlag: boolean;
  emailProtectionFlag: boolean;
  keyType: 'rsa' | 'ec' | 'ed25519' | 'any';
  keyBits: number;
  keyUsage: string[];
  extKeyUsage: string[];
  useCsrCommonName: boolean;
  useCsrSans: boolean;
  requireCn: boolean;
  noStore: boolean;
  generateLease: boolean;
  notBeforeDuration: number;
}

/** What a role write may carry, by wire name; anything absent takes Vault's default (a write replaces). */
export interface RoleInput {
  ttl?: number;
  max_ttl?: number;
  allow_localhost?: boolean;
  allowed_domains?: string[];
  allow_bare_domains?: boolean;
  allow_subdomains?: boolean;
  allow_glob_domains?: boolean;
  allow_wildcard_certificates?: boolean;
  allow_any_name?: boolean;
  enforce_hostnames?: boolean;
  allow_ip_sans?: boolean;
  allowed_ip_sans_cidr?: string[];
  server_flag?: boolean;
  client_flag?: boolean;
  code_signing_flag?: boolean;
  email_protection_flag?: boolean;
  key_type?: string;
  key_bits?: number;
  key_usage?: string[];
  ext_key_usage?: string[];
  use_csr_common_name?: boolean;
  use_csr_sans?: boolean;
  require_cn?: boolean;
  no_store?: boolean;
  generate_lease?: boolean;
  not_before_duration?: number;
}

export const KEY_USAGES: Record<string, number> = {
  digitalsignature: 1,
  contentcommitment: 2,
  keyencipherment: 4,
  dataencipherment: 8,
  keyagreement: 16,
  certsign: 32,
  crlsign: 64,
  encipheronly: 128,
  decipheronly: 256,
};

export const EXT_KEY_USAGES: Record<string, string> = {
  any: '2.5.29.37.0',
  serverauth: '1.3.6.1.5.5.7.3.1',
  clientauth: '1.3.6.1.5.5.7.3.2',
  codesigning: '1.3.6.1.5.5.7.3.3',
  emailprotection: '1.3.6.1.5.5.7.3.4',
  ipsecendsystem: '1.3.6.1.5.5.7.3.5',
  ipsectunnel: '1.3.6.1.5.5.7.3.6',
  ipsecuser: '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  ocspsigning: '1.3.6.1.5.5.7.3.9',
};

/** Vault accepts `DigitalSignature` or `KeyUsageDigitalSignature`, in any case. */
export const usageKey = (name: string, prefix: string) => {
  const key = name.trim().toLowerCase();
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
};

function checkUsages(names: string[], known: Record<string, unknown>, prefix: string, what: string) {
  for (const name of names)
    if (!(usageKey(name, prefix) in known)) throw invalid(`unrecognized ${what} value: ${name}`);
}

export function roleFromInput(input: RoleInput): Role {
  const keyType = input.key_type ?? 'rsa';
  const keyBits = checkKeyBits(keyType, input.key_bits ?? 0, true);
  const ttl = input.ttl ?? 0;
  const maxTtl = input.max_ttl ?? 0;
  if (maxTtl > 0 && ttl > maxTtl) throw invalid('"ttl" value must be less than "max_ttl" value');
  const role: Role = {
    ttl,
    maxTtl,
    allowLocalhost: input.allow_localhost ?? true,
    allowedDomains: input.allowed_domains ?? [],
    allowBareDomains: input.allow_bare_domains ?? false,
    allowSubdomains: input.allow_subdomains ?? false,
    allowGlobDomains: input.allow_glob_domains ?? false,
    allowWildcardCertificates: input.allow_wildcard_certificates ?? true,
    allowAnyName: input.allow_any_name ?? false,
    enforceHostnames: input.enforce_hostnames ?? true,
    allowIpSans: input.allow_ip_sans ?? true,
    allowedIpSansCidr: input.allowed_ip_sans_cidr ?? [],
    serverFlag: input.server_flag ?? true,
    clientFlag: input.client_flag ?? true,
    codeSigningFlag: input.code_signing_flag ?? false,
    emailProtectionFlag: input.email_protection_flag ?? false,
    keyType: keyType as Role['keyType'],
    keyBits,
    keyUsage: input.key_usage ?? ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment'],
    extKeyUsage: input.ext_key_usage ?? [],
    useCsrCommonName: input.use_csr_common_name ?? true,
    useCsrSans: input.use_csr_sans ?? true,
    requireCn: input.require_cn ?? true,
    noStore: input.no_store ?? false,
    generateLease: input.generate_lease ?? false,
    notBeforeDuration: input.not_before_duration ?? 30,
  };
  parseCidrs(role.allowedIpSansCidr);
  checkUsages(role.keyUsage, KEY_USAGES, 'keyusage', 'key_usage');
  checkUsages(role.extKeyUsage, EXT_KEY_USAGES, 'extkeyusage', 'ext_key_usage');
  return role;
}

export function roleToWire(role: Role): Record<string, unknown> {
  return {
    ttl: role.ttl,
    max_ttl: role.maxTtl,
    allow_localhost: role.allowLocalhost,
    allowed_domains: role.allowedDomains,
    allow_bare_domains: role.allowBareDomains,
    allow_subdomains: role.allowSubdomains,
    allow_glob_domains: role.allowGlobDomains,
    allow_wildcard_certificates: role.allowWildcardCertificates,
    allow_any_name: role.allowAnyName,
    enforce_hostnames: role.enforceHostnames,
    allow_ip_sans: role.allowIpSans,
    allowed_ip_sans_cidr: role.allowedIpSansCidr,
    server_flag: role.serverFlag,
    client_flag: role.clientFlag,
    code_signing_flag: role.codeSigningFlag,
    email_protection_flag: role.emailProtectionFlag,
    key_type: role.keyType,
    key_bits: role.keyBits,
    key_usage: role.keyUsage,
    ext_key_usage: role.extKeyUsage,
    use_csr_common_name: role.useCsrCommonName,
    use_csr_sans: role.useCsrSans,
    require_cn: role.requireCn,
    no_store: role.noStore,
    generate_lease: role.generateLease,
    not_before_duration: role.notBeforeDuration,
  };
}

const rolePath = (name: string) => `role/${name}`;
export const loadRole = (storage: StorageView, name: string) => storage.getJson<Role>(rolePath(name));
export const saveRole = (storage: StorageView, name: string, role: Role) =>
  storage.putJson(rolePath(name), role);
export const deleteRole = (storage: StorageView, name: string) => storage.delete(rolePath(name));
export async function listRoles(storage: StorageView): Promise<string[]> {
  return (await storage.list('role/')).filter((name) => !name.endsWith('/'));
}
