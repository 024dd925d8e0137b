/**
 * Which names and addresses a role lets a certificate carry: Vault's ValidateNames rules for DNS names
 * and emails (wildcards only through allow_subdomains or a glob, CVE-2022-25243), and OpenBao's
 * allowed_ip_sans_cidr for IP SANs from the API and from CSRs alike (GHSA-g892-p242-8g86).
 */
import { BlockList, isIP } from 'node:net';
import { invalid } from '../../core/errors.js';
import { globMatches } from '../../framework/glob.js';

export interface NameRules {
  allowLocalhost: boolean;
  allowedDomains: readonly string[];
  allowBareDomains: boolean;
  allowSubdomains: boolean;
  allowGlobDomains: boolean;
  allowWildcardCertificates: boolean;
  allowAnyName: boolean;
  enforceHostnames: boolean;
}

// A label: letters, digits and hyphens, not starting or ending with a hyphen; Vault's hostnameRegex.
const HOSTNAME =
  /^(\*\.)?(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])\.?$/;
// The wildcard label: one `*`, optionally with letters, digits or hyphens around it (RFC 6125 §6.4.3).
const WILDCARD_LABEL = /^(([-a-zA-Z0-9]*\*[-a-zA-Z0-9]*)|[-a-zA-Z0-9]+)$/;

/** Splits a wildcard name into its left-most label and the rest; undefined when malformed. */
function splitWildcard(name: string): { label: string; reduced: string } | undefined {
  if (name.split('*').length > 2) return undefined;
  const dot = name.indexOf('.');
  if (dot < 0) return { label: name, reduced: '' };
  const reduced = name.slice(dot + 1);
  if (reduced.includes('*')) return undefined;
  return { label: name.slice(0, dot), reduced };
}

const lower = (text: string) => text.toLowerCase();

function allowedByDomains(
  rules: NameRules,
  name: string,
  reduced: string,
  email: string | undefined,
  wildcard: boolean,
) {
  for (const domain of rules.allowedDomains) {
    if (domain === '') continue;
    // The bare match compares the whole name: `*.example.com` is not `example.com` (CVE-2022-25243).
    if (
      rules.allowBareDomains &&
      (lower(name) === lower(domain) || (email !== undefined && lower(email) === lower(domain)))
    )
      return true;
    if (
      rules.allowSubdomains &&
      (reduced.endsWith(`.${domain}`) || (wildcard && lower(reduced) === lower(domain)))
    )
      return true;
    // Vault's glob.Glob is case-sensitive: `web-*.example.com` does not allow `WEB-1.example.com`.
    if (rules.allowGlobDomains && domain.includes('*') && globMatches(domain, name)) return true;
  }
  return false;
}

function allowedAsLocalhost(rules: NameRules, reduced: string, wildcard: boolean) {
  if (!rules.allowLocalhost) return false;
  for (const base of ['localhost', 'localdomain']) {
    // The whole name (or an email's domain), as Vault: `*.localhost` needs allow_subdomains.
    if (!wildcard && reduced === base) return true;
    if (rules.allowSubdomains && (reduced.endsWith(`.${base}`) || (wildcard && reduced === base)))
      return true;
  }
  return false;
}

/** Is one DNS name or email allowed by the role? */
export function nameAllowed(rules: NameRules, name: string): boolean {
  let reduced = name;
  let email: string | undefined;
  if (name.includes('@')) {
    const parts = name.split('@');
    if (parts.length !== 2) return false;
    reduced = parts[1];
    email = parts[1];
  }
  const wildcard = reduced.includes('*');
  let label = '';
  if (wildcard) {
    if (!rules.allowWildcardCertificates) return false;
    const split = splitWildcard(reduced);
    if (!split) return false;
    ({ label, reduced } = split);
    if (email !== undefined) return false;
  }
  if (rules.enforceHostnames) {
    if (reduced !== '' && !HOSTNAME.test(reduced)) return false;
    if (wildcard && !WILDCARD_LABEL.test(label)) return false;
  }
  if (rules.allowAnyName) return true;
  if (allowedAsLocalhost(rules, reduced, wildcard)) return true;
  return allowedByDomains(rules, name, reduced, email, wildcard);
}

/** The first name the role refuses, or undefined when all pass. */
export function firstRefusedName(rules: NameRules, names: readonly string[]): string | undefined {
  return names.find((name) => !nameAllowed(rules, name));
}

/** Parses the role's CIDRs; a bad one is a 400 when the role is written. */
export function parseCidrs(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefix, extra] = cidr.split('/');
    const family = isIP(address ?? '');
    const bits = Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || prefix === undefined || !/^\d+$/.test(prefix) || bits > max)
      throw invalid(`invalid CIDR in allowed_ip_sans_cidr: ${cidr}`);
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/**
 * An IP SAN as Go's net.ParseIP and x509 encoder see it: undefined when not an address (zones included),
 * IPv6 in its canonical hex form (the certificate library misreads an embedded dotted quad), and an
 * IPv4-mapped IPv6 address as the IPv4 address it is, which Go's encoder writes as four bytes.
 */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [high, low] = [Number.parseInt(mapped[1], 16), Number.parseInt(mapped[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Canonical IP SANs; a value that is not an address is a 400, as Vault's. */
export function canonicalIps(ips: readonly string[]): string[] {
  return ips.map((ip) => {
    const canonical = canonicalIp(ip);
    if (canonical === undefined) throw invalid(`the value "${ip}" is not a valid IP address`);
    return canonical;
  });
}

/** Checks IP SANs against the role, wherever they came from (API or CSR). */
export function checkIpSans(
  rules: { allowIpSans: boolean; allowedIpSansCidr: readonly string[] },
  ips: readonly string[],
  source: 'api' | 'csr',
): void {
  if (ips.length === 0) return;
  if (!rules.allowIpSans) {
    throw invalid(
      source === 'csr'
        ? 'IP Subject Alternative Names are not allowed in this role, but was provided some via CSR'
        : `IP Subject Alternative Names are not allowed in this role, but was provided [${ips.join(' ')}]`,
    );
  }
  if (rules.allowedIpSansCidr.length === 0) return;
  const allowed = parseCidrs(rules.allowedIpSansCidr);
  for (const ip of ips) {
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (!allowed.check(ip, family))
      throw invalid(`IP Subject Alternative Name ${ip} not allowed by this role`);
  }
}
