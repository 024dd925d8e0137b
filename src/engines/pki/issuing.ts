/**
 * What `issue/:role` and `sign/:role` put in a leaf certificate: the common name and SANs (from the
 * request, or from the CSR as the role says), each checked by the role; the validity period under
 * Vault's TTL rules; usages from the role. Then the CA signs it.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { invalid } from '../../core/errors.js';
import { formatGoDuration } from '../../framework/duration.js';
import type { EngineContext } from '../../framework/path.js';
import type { LoadedIssuer } from './ca.js';
import { signCertificate, x509Library } from './certs.js';
import { keyBitsOf, keyTypeOf } from './keys.js';
import { canonicalIps, checkIpSans, firstRefusedName } from './names.js';
import { EXT_KEY_USAGES, KEY_USAGES, type Role, usageKey } from './role.js';
import { loadUrls, newSerialHex } from './store.js';

export interface LeafRequest {
  commonName?: string;
  altNames: string[];
  ipSans: string[];
  uriSans: string[];
  ttl?: number;
  excludeCnFromSans: boolean;
}

interface Names {
  commonName: string;
  dnsNames: string[];
  emails: string[];
  ips: string[];
  uris: string[];
}

export interface TtlLimits {
  defaultTtl: number;
  maxTtl: number;
}

/** A TTL over the maximum becomes the maximum, with Vault's warning. */
export function capTtl(ttl: number, max: number): { ttl: number; warnings: string[] } {
  if (ttl <= max) return { ttl, warnings: [] };
  return {
    ttl: max,
    warnings: [
      `TTL "${formatGoDuration(ttl)}" is longer than permitted maxTTL "${formatGoDuration(max)}", so maxTTL is being used`,
    ],
  };
}

/** Vault's GetCertificateNotAfter: request, else role, else mount; capped by the role's or mount's max. */
export function leafNotAfter(
  requested: number | undefined,
  role: Pick<Role, 'ttl' | 'maxTtl'>,
  limits: TtlLimits,
  nowMs: number,
  caNotAfter: number,
): { notAfter: Date; warnings: string[] } {
  const { ttl, warnings } = capTtl(requested || role.ttl || limits.defaultTtl, role.maxTtl || limits.maxTtl);
  const notAfter = new Date(nowMs + ttl * 1000);
  // Vault's default leaf_not_after_behavior is "err": a leaf never outlives its CA.
  if (notAfter.getTime() > caNotAfter * 1000) {
    throw invalid(
      `cannot satisfy request, as TTL would result in notAfter of ${notAfter.toISOString()} that is beyond the expiration of the CA certificate at ${new Date(caNotAfter * 1000).toISOString()}`,
    );
  }
  return { notAfter, warnings };
}

function splitAltNames(names: readonly string[]): { dnsNames: string[]; emails: string[] } {
  return {
    dnsNames: names.filter((name) => !name.includes('@')),
    emails: names.filter((name) => name.includes('@')),
  };
}

/** A CSR, parsed once: the request (for its key and signature), its common name and SANs. */
export interface ParsedCsr {
  request: X509.Pkcs10CertificateRequest;
  commonName: string;
  sans: { dnsNames: string[]; emails: string[]; ips: string[]; uris: string[] };
}

export async function parseCsrPem(pem: string): Promise<ParsedCsr> {
  // Vault decodes a PEM block (Go's pem.Decode) and finds none in bare base64 or hex, which the
  // library would take: the same 400 as Vault for a CSR without its armour.
  if (!/-----BEGIN [^\r\n-]*-----[\s\S]*-----END [^\r\n-]*-----/.test(pem))
    throw invalid('csr contains no data');
  const x509 = await x509Library();
  // The library decodes extensions and names lazily: a malformed one throws on first access, so every
  // access is inside the try (as Go's ParseCertificateRequest, a bad extension is the CSR's fault, a 400).
  try {
    const request = new x509.Pkcs10CertificateRequest(pem);
    const san = request.extensions.find((ext) => ext instanceof x509.SubjectAlternativeNameExtension);
    const items = san instanceof x509.SubjectAlternativeNameExtension ? san.names.items : [];
    const of = (type: string) => items.filter((item) => item.type === type).map((item) => item.value);
    return {
      request,
      commonName: request.subjectName.getField('CN')[0] ?? '',
      sans: { dnsNames: of('dns'), emails: of('email'), ips: of('ip'), uris: of('url') },
    };
  } catch {
    throw invalid('certificate request could not be parsed');
  }
}

/** The names a leaf will carry, each checked against the role. */
export function leafNames(role: Role, req: LeafRequest, csr?: ParsedCsr): Names {
  let commonName = '';
  if (csr && role.useCsrCommonName) commonName = csr.commonName;
  if (!commonName) commonName = req.commonName ?? '';
  if (!commonName && role.requireCn)
    throw invalid(
      'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false',
    );
  const fromCsr = csr !== undefined && role.useCsrSans;
  const sans = fromCsr ? csr.sans : { ...splitAltNames(req.altNames), ips: req.ipSans, uris: req.uriSans };
  if (commonName && firstRefusedName(role, [commonName]))
    throw invalid(`common name ${commonName} not allowed by this role`);
  const refused = firstRefusedName(role, [...sans.dnsNames, ...sans.emails]);
  if (refused) throw invalid(`subject alternate name ${refused} not allowed by this role`);
  const ips = canonicalIps(sans.ips);
  checkIpSans(role, ips, fromCsr ? 'csr' : 'api');
  if (sans.uris.length)
    throw invalid(
      `URI Subject Alternative Names are not allowed in this role, but were provided via ${fromCsr ? 'CSR' : 'the API'}`,
    );
  const dnsNames = [...sans.dnsNames];
  const emails = [...sans.emails];
  if (commonName && !req.excludeCnFromSans) {
    const list = commonName.includes('@') ? emails : dnsNames;
    if (!list.includes(commonName)) list.unshift(commonName);
  }
  return { commonName, dnsNames, emails, ips, uris: [] };
}

function usageFlags(role: Role): { keyUsage: number; extKeyUsage: string[] } {
  let keyUsage = 0;
  for (const name of role.keyUsage) keyUsage |= KEY_USAGES[usageKey(name, 'keyusage')] ?? 0;
  const ext = new Set(role.extKeyUsage.map((name) => EXT_KEY_USAGES[usageKey(name, 'extkeyusage')]));
  if (role.serverFlag) ext.add(EXT_KEY_USAGES.serverauth);
  if (role.clientFlag) ext.add(EXT_KEY_USAGES.clientauth);
  if (role.codeSigningFlag) ext.add(EXT_KEY_USAGES.codesigning);
  if (role.emailProtectionFlag) ext.add(EXT_KEY_USAGES.emailprotection);
  return { keyUsage, extKeyUsage: [...ext] };
}

export interface SignedLeaf {
  certificate: X509.X509Certificate;
  serialHex: string;
  notAfter: Date;
  warnings: string[];
}

export async function signLeaf(
  ctx: EngineContext,
  ca: LoadedIssuer,
  role: Role,
  names: Names,
  publicKey: KeyObject,
  ttl: number | undefined,
): Promise<SignedLeaf> {
  const now = ctx.clock.now();
  const limits = { defaultTtl: ctx.system.defaultLeaseTtl(), maxTtl: ctx.system.maxLeaseTtl() };
  const { notAfter, warnings } = leafNotAfter(ttl, role, limits, now, ca.issuer.notAfter);
  const serialHex = newSerialHex();
  const certificate = await signCertificate(
    {
      serialHex,
      ...names,
      notBefore: new Date(now - role.notBeforeDuration * 1000),
      notAfter,
      publicKey,
      isCa: false,
      ...usageFlags(role),
      urls: await loadUrls(ctx.storage),
    },
    ca.signer,
  );
  return { certificate, serialHex, notAfter, warnings };
}

/** A CSR's public key, after its signature and the role's key type and size checks. */
export async function csrPublicKey(role: Role, csr: X509.Pkcs10CertificateRequest): Promise<KeyObject> {
  let ok = false;
  try {
    ok = await csr.verify();
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('request signature invalid');
  const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  const type = keyTypeOf(key);
  if (role.keyType !== 'any' && type !== role.keyType)
    throw invalid(`role requires keys of type ${role.keyType}`);
  const bits = keyBitsOf(key);
  // Vault's signCert: whatever the role's type, an RSA key under 2048 bits is never signed.
  if (type === 'rsa' && bits < 2048) throw invalid('RSA keys < 2048 bits are unsafe and not supported');
  if (role.keyType !== 'any' && type !== 'ed25519' && bits < role.keyBits)
    throw invalid(`role requires a minimum of a ${role.keyBits}-bit key, but CSR's key is ${bits} bits`);
  return key;
}
