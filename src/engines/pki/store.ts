/**
 * What the engine keeps behind the barrier: issuers (CA certificate plus its key), issued certificates
 * by serial, revocations, the CRL and the URL config. Issued private keys are never stored.
 */
import { randomBytes } from 'node:crypto';
import type { StorageView } from '../../framework/storage-view.js';

export interface Issuer {
  id: string;
  name: string;
  keyId: string;
  keyName: string;
  /** PEM, no trailing newline. */
  certificate: string;
  serialNumber: string;
  /** Seconds since the epoch. */
  notAfter: number;
}

export interface IssuerKey {
  id: string;
  name: string;
  type: string;
  /** PKCS#8 PEM. */
  privateKey: string;
}

export interface IssuedCert {
  certificate: string;
  issuerId: string;
  notAfter: number;
}

export interface Revocation {
  serialNumber: string;
  revocationTime: number;
  certificate: string;
  issuerId: string;
  notAfter: number;
}

export interface StoredCrl {
  /** DER, base64. */
  der: string;
  number: number;
}

export interface UrlConfig {
  issuingCertificates: string[];
  crlDistributionPoints: string[];
  ocspServers: string[];
  enableTemplating: boolean;
}

/** Vault's serial text: lowercase hex byte pairs joined by colons. */
export function formatSerial(hex: string): string {
  const even = hex.length % 2 ? `0${hex}` : hex;
  return even.toLowerCase().match(/../g)?.join(':') ?? '';
}

/** Accepts `aa:bb`, `aa-bb` or `aabb`; storage keys use hyphens, as in Vault. */
export function serialKey(serial: string): string {
  return serial.trim().toLowerCase().replaceAll(':', '-');
}

export const serialFromKey = (key: string) => key.replaceAll('-', ':');

/** 159 random bits as hex, never with a leading zero byte, so DER and text agree. */
export function newSerialHex(): string {
  const bytes = randomBytes(20);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

export const newId = () => crypto.randomUUID();

export const loadIssuer = (s: StorageView, id: string) => s.getJson<Issuer>(`issuer/${id}`);
export const saveIssuer = (s: StorageView, issuer: Issuer) => s.putJson(`issuer/${issuer.id}`, issuer);
export const loadKey = (s: StorageView, id: string) => s.getJson<IssuerKey>(`key/${id}`);
export const saveKey = (s: StorageView, key: IssuerKey) => s.putJson(`key/${key.id}`, key);

export async function listIssuers(s: StorageView): Promise<Issuer[]> {
  const ids = (await s.list('issuer/')).filter((id) => !id.endsWith('/'));
  const issuers = await Promise.all(ids.map((id) => loadIssuer(s, id)));
  return issuers.filter((issuer): issuer is Issuer => issuer !== undefined);
}

export async function defaultIssuerId(s: StorageView): Promise<string | undefined> {
  return (await s.getJson<{ default: string }>('config/issuers'))?.default || undefined;
}

export const setDefaultIssuer = (s: StorageView, id: string) => s.putJson('config/issuers', { default: id });

export async function defaultIssuer(s: StorageView): Promise<Issuer | undefined> {
  const id = await defaultIssuerId(s);
  return id ? loadIssuer(s, id) : undefined;
}

export const loadCert = (s: StorageView, serial: string) =>
  s.getJson<IssuedCert>(`certs/${serialKey(serial)}`);
export const saveCert = (s: StorageView, serial: string, cert: IssuedCert) =>
  s.putJson(`certs/${serialKey(serial)}`, cert);
export const loadRevocation = (s: StorageView, serial: string) =>
  s.getJson<Revocation>(`revoked/${serialKey(serial)}`);
export const saveRevocation = (s: StorageView, revocation: Revocation) =>
  s.putJson(`revoked/${serialKey(revocation.serialNumber)}`, revocation);

export async function listRevocations(s: StorageView): Promise<Revocation[]> {
  const keys = (await s.list('revoked/')).filter((key) => !key.endsWith('/'));
  const entries = await Promise.all(keys.map((key) => s.getJson<Revocation>(`revoked/${key}`)));
  return entries.filter((entry): entry is Revocation => entry !== undefined);
}

export const loadCrl = (s: StorageView, issuerId: string) => s.getJson<StoredCrl>(`crls/${issuerId}`);
export const saveCrl = (s: StorageView, issuerId: string, crl: StoredCrl) =>
  s.putJson(`crls/${issuerId}`, crl);

export async function loadUrls(s: StorageView): Promise<UrlConfig> {
  return (
    (await s.getJson<UrlConfig>('config/urls')) ?? {
      issuingCertificates: [],
      crlDistributionPoints: [],
      ocspServers: [],
      enableTemplating: false,
    }
  );
}
export const saveUrls = (s: StorageView, urls: UrlConfig) => s.putJson('config/urls', urls);
