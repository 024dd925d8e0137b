/**
 * Certificates and CRLs in X.509 DER, built and signed with @peculiar/x509 over Node's WebCrypto. No
 * HTTP, no storage: the paths decide what goes in, this module only encodes and signs.
 */
import { createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { signingAlgorithm } from './keys.js';
import type { UrlConfig } from './store.js';

let loading: Promise<typeof X509> | undefined;

/**
 * The certificate library, loaded on first use: importing it takes about 0.3 s, which a server start
 * should not pay for an engine that may never be mounted (PERFORMANCE.md's cold-start).
 */
export function x509Library(): Promise<typeof X509> {
  loading ??= (async () => {
    // Its dependency injection needs the Reflect metadata API loaded first.
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    // It signs through a WebCrypto provider; Node's is the only one this process uses.
    lib.cryptoProvider.set(webcrypto as unknown as Crypto);
    return lib;
  })();
  return loading;
}

export interface Signer {
  /** The CA key as a WebCrypto key, and the KeyObject it came from (to pick the algorithm). */
  key: CryptoKey;
  keyObject: KeyObject;
  /** The issuing CA certificate; absent when the certificate signs itself (a new root). */
  issuer?: X509.X509Certificate;
}

export interface CertificateSpec {
  serialHex: string;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  dnsNames: readonly string[];
  emails: readonly string[];
  ips: readonly string[];
  uris: readonly string[];
  isCa: boolean;
  /** KeyUsageFlags bits; 0 leaves the extension out. */
  keyUsage: number;
  extKeyUsage: readonly string[];
  urls?: UrlConfig;
}

function algorithmOf(keyObject: KeyObject): Algorithm | EcdsaParams {
  const algorithm = signingAlgorithm(keyObject);
  if (algorithm.name === 'ECDSA') return { name: 'ECDSA', hash: algorithm.hash } as EcdsaParams;
  if (algorithm.name === 'Ed25519') return { name: 'Ed25519' };
  return { name: algorithm.name, hash: algorithm.hash } as Algorithm;
}

function altNames(spec: CertificateSpec): X509.JsonGeneralName[] {
  return [
    ...spec.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...spec.emails.map((value) => ({ type: 'email' as const, value })),
    ...spec.ips.map((value) => ({ type: 'ip' as const, value })),
    ...spec.uris.map((value) => ({ type: 'url' as const, value })),
  ];
}

function urlExtensions(x509: typeof X509, urls: UrlConfig | undefined): X509.Extension[] {
  const out: X509.Extension[] = [];
  if (!urls) return out;
  if (urls.issuingCertificates.length || urls.ocspServers.length) {
    out.push(
      new x509.AuthorityInfoAccessExtension({ caIssuers: urls.issuingCertificates, ocsp: urls.ocspServers }),
    );
  }
  if (urls.crlDistributionPoints.length)
    out.push(new x509.CRLDistributionPointsExtension(urls.crlDistributionPoints));
  return out;
}

const spki = (key: KeyObject) =>
  (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });

export async function signCertificate(spec: CertificateSpec, signer: Signer): Promise<X509.X509Certificate> {
  const x509 = await x509Library();
  const publicKey = spki(spec.publicKey);
  const subject: X509.JsonName = [{ CN: [spec.commonName] }];
  const ski = await x509.SubjectKeyIdentifierExtension.create(publicKey);
  const issuerSki = signer.issuer?.getExtension(x509.SubjectKeyIdentifierExtension);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(spec.isCa, undefined, true),
    ski,
    new x509.AuthorityKeyIdentifierExtension(issuerSki?.keyId ?? ski.keyId),
  ];
  if (spec.keyUsage) extensions.push(new x509.KeyUsagesExtension(spec.keyUsage, true));
  if (spec.extKeyUsage.length) extensions.push(new x509.ExtendedKeyUsageExtension([...spec.extKeyUsage]));
  const names = altNames(spec);
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  extensions.push(...urlExtensions(x509, spec.urls));
  return x509.X509CertificateGenerator.create({
    serialNumber: spec.serialHex,
    subject,
    issuer: signer.issuer?.subjectName ?? subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey,
    signingKey: signer.key,
    signingAlgorithm: algorithmOf(signer.keyObject),
    extensions,
  });
}

export interface CrlEntry {
  serialHex: string;
  revokedAt: Date;
}

/** DER of an INTEGER, for the CRL number extension. */
function derInteger(value: number): Uint8Array<ArrayBuffer> {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return new Uint8Array([0x02, bytes.length, ...bytes]);
}

export async function signCrl(
  signer: Required<Signer>,
  entries: readonly CrlEntry[],
  number: number,
  now: Date,
  nextUpdate: Date,
): Promise<X509.X509Crl> {
  const x509 = await x509Library();
  const ski = signer.issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  const extensions: X509.Extension[] = [new x509.Extension('2.5.29.20', false, derInteger(number))];
  if (ski) extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
  return x509.X509CrlGenerator.create({
    issuer: signer.issuer.subjectName,
    thisUpdate: now,
    nextUpdate,
    entries: entries.map((entry) => ({ serialNumber: entry.serialHex, revocationDate: entry.revokedAt })),
    signingKey: signer.key,
    signingAlgorithm: algorithmOf(signer.keyObject),
    extensions,
  });
}

/** PEM with no trailing newline, as Vault's JSON fields carry it. */
export const pemOf = (item: { toString(format: 'pem'): string }) => item.toString('pem').trim();

export async function parseCertificate(pem: string): Promise<X509.X509Certificate> {
  return new (await x509Library()).X509Certificate(pem);
}
