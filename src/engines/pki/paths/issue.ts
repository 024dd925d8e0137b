/** `issue/:role` (a new key and its certificate; the key is returned once, never stored) and `sign/:role`. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import type { SignerCache } from '../ca.js';
import { pemOf } from '../certs.js';
import {
  csrPublicKey,
  type LeafRequest,
  leafNames,
  parseCsrPem,
  type SignedLeaf,
  signLeaf,
} from '../issuing.js';
import { checkKeyFormat, generateKey, privateKeyPem } from '../keys.js';
import { loadRole, type Role } from '../role.js';
import { formatSerial, saveCert } from '../store.js';

const commonFields = {
  role: field.name('Role to issue under.'),
  common_name: field.string('Common name of the certificate.', { max: 1024 }),
  alt_names: field.stringList('DNS or email subject alternative names.'),
  ip_sans: field.stringList('IP subject alternative names.'),
  uri_sans: field.stringList('URI subject alternative names (refused: roles allow none).'),
  ttl: field.duration('Requested TTL, capped by the role’s max_ttl and the CA’s expiry.'),
  exclude_cn_from_sans: field.bool('Do not repeat the common name in the SANs.'),
  format: field.string('pem (default) or der (base64).', { max: 16 }),
  private_key_format: field.string('der (the type’s own PEM, default) or pkcs8.', { max: 16 }),
};
const signFields = { ...commonFields, csr: field.string('The PEM certificate request.', { max: 65536 }) };

async function requireRole(ctx: EngineContext, name: string): Promise<Role> {
  const role = await loadRole(ctx.storage, name);
  if (!role) throw invalid(`unknown role: ${name}`);
  return role;
}

function leafRequest(input: Input<typeof commonFields>): LeafRequest {
  return {
    commonName: input.common_name,
    altNames: input.alt_names ?? [],
    ipSans: input.ip_sans ?? [],
    uriSans: input.uri_sans ?? [],
    ttl: input.ttl,
    excludeCnFromSans: input.exclude_cn_from_sans ?? false,
  };
}

function checkFormat(format: string | undefined): 'pem' | 'der' {
  const value = format ?? 'pem';
  if (value !== 'pem' && value !== 'der') throw invalid(`unsupported format argument: ${value}`);
  return value;
}

async function respond(
  ctx: EngineContext,
  role: Role,
  issuerPem: string,
  issuerId: string,
  leaf: SignedLeaf,
  format: 'pem' | 'der',
  extra: Record<string, unknown>,
): Promise<LogicalResponse> {
  const serial = formatSerial(leaf.serialHex);
  const certificate = pemOf(leaf.certificate);
  const expiration = Math.floor(leaf.notAfter.getTime() / 1000);
  if (!role.noStore) await saveCert(ctx.storage, serial, { certificate, issuerId, notAfter: expiration });
  const encode = (pem: string) =>
    format === 'pem'
      ? pem
      : Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64');
  const data = {
    certificate: encode(certificate),
    issuing_ca: encode(issuerPem),
    ca_chain: [encode(issuerPem)],
    serial_number: serial,
    expiration,
    ...extra,
  };
  const response: LogicalResponse = { data, ...(leaf.warnings.length ? { warnings: leaf.warnings } : {}) };
  if (role.generateLease) {
    const ttl = Math.max(1, expiration - Math.floor(ctx.clock.now() / 1000));
    response.secret = {
      type: 'pki',
      ttlSeconds: ttl,
      renewable: false,
      internalData: { serial_number: serial },
    };
  }
  return response;
}

function issue(cache: SignerCache) {
  return async (ctx: EngineContext, input: Input<typeof commonFields>) => {
    const role = await requireRole(ctx, input.role!);
    if (role.keyType === 'any')
      throw invalid('role key type "any" not allowed for issuing certificates, only signing');
    const format = checkFormat(input.format);
    const keyFormat = checkKeyFormat(input.private_key_format);
    const names = leafNames(role, leafRequest(input));
    const ca = await cache.defaultIssuer(ctx);
    const pair = await generateKey(role.keyType, role.keyBits);
    const leaf = await signLeaf(ctx, ca, role, names, pair.publicKey, input.ttl);
    return respond(ctx, role, ca.issuer.certificate, ca.issuer.id, leaf, format, {
      private_key: privateKeyPem(pair.privateKey, keyFormat),
      private_key_type: role.keyType,
    });
  };
}

function sign(cache: SignerCache) {
  return async (ctx: EngineContext, input: Input<typeof signFields>) => {
    const role = await requireRole(ctx, input.role!);
    const format = checkFormat(input.format);
    if (!input.csr) throw invalid('"csr" is empty');
    const csr = await parseCsrPem(input.csr);
    const publicKey = await csrPublicKey(role, csr.request);
    const names = leafNames(role, leafRequest(input), csr);
    const ca = await cache.defaultIssuer(ctx);
    const leaf = await signLeaf(ctx, ca, role, names, publicKey, input.ttl);
    return respond(ctx, role, ca.issuer.certificate, ca.issuer.id, leaf, format, {});
  };
}

export function issuePaths(cache: SignerCache) {
  return [
    definePath({
      pattern: 'issue/:role',
      fields: commonFields,
      operations: { update: issue(cache) },
      help: 'Generate a key pair and a certificate for it under the role; the key is returned once.',
    }),
    definePath({
      pattern: 'sign/:role',
      fields: signFields,
      operations: { update: sign(cache) },
      help: 'Sign a CSR under the role.',
    }),
  ];
}
