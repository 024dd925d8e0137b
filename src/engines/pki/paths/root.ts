/** `root/generate/:exported` (a new self-signed CA, the default issuer if there is none) and `config/urls`. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { rebuildCrl, type SignerCache } from '../ca.js';
import { pemOf, signCertificate } from '../certs.js';
import { capTtl } from '../issuing.js';
import {
  checkKeyBits,
  checkKeyFormat,
  generateKey,
  type KeyType,
  privateKeyPem,
  toSigningKey,
} from '../keys.js';
import { canonicalIps } from '../names.js';
import {
  defaultIssuerId,
  formatSerial,
  type Issuer,
  loadUrls,
  newId,
  newSerialHex,
  saveCert,
  saveIssuer,
  saveKey,
  saveUrls,
  setDefaultIssuer,
} from '../store.js';

const rootFields = {
  exported: field.string('internal (the key never leaves) or exported (the key is in the response once).', {
    max: 16,
  }),
  common_name: field.string('Common name of the CA certificate.', { max: 1024 }),
  alt_names: field.stringList('DNS or email subject alternative names.'),
  ip_sans: field.stringList('IP subject alternative names.'),
  ttl: field.duration('Validity of the CA certificate; defaults to the mount TTL, capped by its maximum.'),
  key_type: field.string('rsa (default), ec or ed25519.', { max: 16 }),
  key_bits: field.int('RSA bits (2048 default) or EC curve size (256 default).'),
  issuer_name: field.string('Name for the new issuer.', { max: 128 }),
  key_name: field.string('Name for the new key.', { max: 128 }),
  private_key_format: field.string('der (the type’s own PEM, default) or pkcs8.', { max: 16 }),
  not_before_duration: field.duration('How far before now the certificate becomes valid (30s default).'),
};

function generateRoot(cache: SignerCache) {
  return async (ctx: EngineContext, input: Input<typeof rootFields>) => {
    const mode = input.exported!;
    if (mode !== 'internal' && mode !== 'exported')
      throw invalid(`unsupported type "${mode}": this server supports internal and exported`);
    if (!input.common_name) throw invalid('the common_name field is required');
    const keyType = input.key_type ?? 'rsa';
    const keyBits = checkKeyBits(keyType, input.key_bits ?? 0);
    const keyFormat = checkKeyFormat(input.private_key_format);
    const ips = canonicalIps(input.ip_sans ?? []);
    const { ttl, warnings } = capTtl(input.ttl || ctx.system.defaultLeaseTtl(), ctx.system.maxLeaseTtl());
    const pair = await generateKey(keyType as KeyType, keyBits);
    const now = ctx.clock.now();
    const serialHex = newSerialHex();
    const names = input.alt_names ?? [];
    const keyObject = pair.privateKey;
    const certificate = await signCertificate(
      {
        serialHex,
        commonName: input.common_name,
        notBefore: new Date(now - (input.not_before_duration ?? 30) * 1000),
        notAfter: new Date(now + ttl * 1000),
        publicKey: pair.publicKey,
        dnsNames: names.filter((n) => !n.includes('@')),
        emails: names.filter((n) => n.includes('@')),
        ips,
        uris: [],
        isCa: true,
        keyUsage: 32 | 64, // certificate and CRL signing
        extKeyUsage: [],
        urls: await loadUrls(ctx.storage),
      },
      { key: await toSigningKey(keyObject), keyObject },
    );
    const keyId = newId();
    const issuer: Issuer = {
      id: newId(),
      name: input.issuer_name ?? '',
      keyId,
      keyName: input.key_name ?? '',
      certificate: pemOf(certificate),
      serialNumber: formatSerial(serialHex),
      notAfter: Math.floor(certificate.notAfter.getTime() / 1000),
    };
    const pkcs8 = privateKeyPem(keyObject, 'pkcs8');
    await saveKey(ctx.storage, { id: keyId, name: issuer.keyName, type: keyType, privateKey: pkcs8 });
    await saveIssuer(ctx.storage, issuer);
    // Vault also stores the CA by serial (`cert/:serial` fetches it, `certs/` lists it).
    await saveCert(ctx.storage, issuer.serialNumber, {
      certificate: issuer.certificate,
      issuerId: issuer.id,
      notAfter: issuer.notAfter,
    });
    if (!(await defaultIssuerId(ctx.storage))) await setDefaultIssuer(ctx.storage, issuer.id);
    await rebuildCrl(ctx, await cache.load(ctx, issuer));
    const data: Record<string, unknown> = {
      certificate: issuer.certificate,
      issuing_ca: issuer.certificate,
      serial_number: issuer.serialNumber,
      expiration: issuer.notAfter,
      issuer_id: issuer.id,
      issuer_name: issuer.name,
      key_id: keyId,
      key_name: issuer.keyName,
    };
    if (mode === 'exported') {
      data.private_key = privateKeyPem(keyObject, keyFormat);
      data.private_key_type = keyType;
    }
    return { data, ...(warnings.length ? { warnings } : {}) };
  };
}

const urlFields = {
  issuing_certificates: field.stringList('URLs of the issuing CA certificate (AIA caIssuers).'),
  crl_distribution_points: field.stringList('URLs of the CRL (CRL distribution points).'),
  ocsp_servers: field.stringList('URLs of OCSP responders (AIA OCSP).'),
  enable_templating: field.bool('Accepted for compatibility; templated URLs are not expanded.'),
};

/** The host of a URL's authority (`user@host:port`) as Go's url package checks it; undefined if refused. */
function hostOf(authority: string): string | undefined {
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? '' : authority.slice(0, at);
  const host = authority.slice(at + 1);
  if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:%]*$/.test(userinfo)) return undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close >= 0 && /^(:\d*)?$/.test(host.slice(close + 1)) ? host : undefined;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !/^\d*$/.test(host.slice(colon + 1))) return undefined;
  // The characters Go leaves unescaped in a host; anything else (a space, `{`, `|`) is refused.
  return /^[A-Za-z0-9\-._~!$&'()*+,;=:<>"%\x80-\u{10ffff}]*$/u.test(host) ? host : undefined;
}

/** Go's url.ParseRequestURI, as far as Vault's check needs it: the host and path, or undefined if refused. */
function parseRequestUri(raw: string): { host: string; path: string } | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses ASCII control characters.
  if (/[\x00-\x1f\x7f]/.test(raw)) return undefined;
  if (raw === '*') return { host: '', path: '*' };
  let rest = raw;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw);
  if (scheme) rest = raw.slice(scheme[0].length);
  else if (raw.startsWith(':')) return undefined; // missing protocol scheme
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);
  // An opaque URL (`javascript:alert(1)`) or a relative path is no request URI.
  if (!rest.startsWith('/')) return undefined;
  let host = '';
  if (scheme && rest.startsWith('//') && !rest.startsWith('///')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const parsed = hostOf(authority);
    if (parsed === undefined) return undefined;
    host = parsed;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(host + rest)) return undefined;
  return { host, path: rest };
}

/**
 * Vault's check of an AIA URL (pki's isURL, after govalidator): 4 to 2082 characters, not starting
 * with `.`; `host:port` without a scheme is taken as http; it must then be an absolute request URI,
 * whose host does not start with `.`, and without a host its path must contain a dot.
 */
export function isVaultUrl(url: string): boolean {
  if ([...url].length >= 2083 || url.length <= 3 || url.startsWith('.')) return false;
  const parsed = parseRequestUri(url.includes(':') && !url.includes('://') ? `http://${url}` : url);
  if (!parsed || parsed.host.startsWith('.')) return false;
  return !(parsed.host === '' && parsed.path !== '' && !parsed.path.includes('.'));
}

/** Placeholders only a templated configuration may hold (Vault refuses them otherwise). */
const TEMPLATE_PLACEHOLDERS = ['{{issuer_id}}', '{{cluster_path}}', '{{cluster_aia_path}}'];

function checkUrls(name: string, urls: string[], templating: boolean): string[] {
  for (const url of urls) {
    const bad = !isVaultUrl(url) || (!templating && TEMPLATE_PLACEHOLDERS.some((p) => url.includes(p)));
    if (bad)
      throw invalid(`invalid URL found in Authority Information Access (AIA) parameter ${name}: ${url}`);
  }
  return urls;
}

async function writeUrls(ctx: EngineContext, input: Input<typeof urlFields>) {
  const current = await loadUrls(ctx.storage);
  const templating = input.enable_templating ?? current.enableTemplating;
  await saveUrls(ctx.storage, {
    issuingCertificates: checkUrls(
      'issuing_certificates',
      input.issuing_certificates ?? current.issuingCertificates,
      templating,
    ),
    crlDistributionPoints: checkUrls(
      'crl_distribution_points',
      input.crl_distribution_points ?? current.crlDistributionPoints,
      templating,
    ),
    ocspServers: checkUrls('ocsp_servers', input.ocsp_servers ?? current.ocspServers, templating),
    enableTemplating: templating,
  });
}

async function readUrls(ctx: EngineContext) {
  const urls = await loadUrls(ctx.storage);
  return {
    data: {
      issuing_certificates: urls.issuingCertificates,
      crl_distribution_points: urls.crlDistributionPoints,
      ocsp_servers: urls.ocspServers,
      enable_templating: urls.enableTemplating,
    },
  };
}

export function rootPaths(cache: SignerCache) {
  return [
    definePath({
      pattern: 'root/generate/:exported',
      fields: rootFields,
      operations: { update: generateRoot(cache) },
      help: 'Generate a self-signed root CA; it becomes the default issuer when there is none.',
    }),
    definePath({
      pattern: 'config/urls',
      fields: urlFields,
      operations: { read: readUrls, update: writeUrls },
      help: 'URLs put in issued certificates: issuing CA, CRL distribution points, OCSP servers.',
    }),
  ];
}
