/**
 * Unauthenticated reads, as Vault lists them: the CA (`ca`, `ca/pem`, `ca_chain`, `cert/ca`,
 * `cert/ca_chain`), the CRL (`crl`, `crl/pem`, `cert/crl`) and any issued certificate (`cert/:serial`).
 */
import { field, type Input } from '../../../framework/fields.js';
import type { LogicalResponse } from '../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { defaultIssuer, loadCert, loadCrl, loadRevocation, serialFromKey, serialKey } from '../store.js';

const PEM_FILE = 'application/pem-file';

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function derToPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Vault answers a raw fetch with nothing to send as 204 with an empty body. */
function raw(contentType: string, body: Buffer | string | undefined): LogicalResponse {
  if (!body || body.length === 0) return { raw: { contentType, body: '' }, httpStatus: 204 };
  return { raw: { contentType, body } };
}

async function caPem(ctx: EngineContext): Promise<string | undefined> {
  return (await defaultIssuer(ctx.storage))?.certificate;
}

/** The CA as a PEM file: with the trailing newline Go's pem encoder writes. */
async function caPemFile(ctx: EngineContext): Promise<string | undefined> {
  const pem = await caPem(ctx);
  return pem && `${pem}\n`;
}

async function crlDer(ctx: EngineContext): Promise<Buffer | undefined> {
  const issuer = await defaultIssuer(ctx.storage);
  const crl = issuer && (await loadCrl(ctx.storage, issuer.id));
  return crl ? Buffer.from(crl.der, 'base64') : undefined;
}

async function certJson(certificate: string | undefined, revocationTime = 0, issuerId = '') {
  if (!certificate) return undefined;
  return {
    data: {
      certificate: `${certificate}\n`,
      revocation_time: revocationTime,
      revocation_time_rfc3339: revocationTime ? new Date(revocationTime * 1000).toISOString() : '',
      issuer_id: issuerId,
    },
  };
}

async function readCert(ctx: EngineContext, input: Input<{ serial: ReturnType<typeof field.name> }>) {
  const serial = serialKey(input.serial!);
  const [cert, revoked] = await Promise.all([
    loadCert(ctx.storage, serial),
    loadRevocation(ctx.storage, serial),
  ]);
  const certificate = cert?.certificate ?? revoked?.certificate;
  return certJson(certificate, revoked?.revocationTime ?? 0, cert?.issuerId ?? revoked?.issuerId ?? '');
}

async function listCerts(ctx: EngineContext) {
  const keys = (await ctx.storage.list('certs/')).filter((key) => !key.endsWith('/'));
  return { data: { keys: keys.map(serialFromKey) } };
}

const open = { unauthenticated: true } as const;

export const fetchPaths = [
  definePath({
    pattern: 'ca',
    ...open,
    operations: { read: async (ctx) => raw('application/pkix-cert', pemToDer((await caPem(ctx)) ?? '')) },
    help: 'The default issuer’s certificate, DER.',
  }),
  definePath({
    pattern: 'ca/pem',
    ...open,
    operations: { read: async (ctx) => raw(PEM_FILE, await caPemFile(ctx)) },
    help: 'The default issuer’s certificate, PEM.',
  }),
  definePath({
    pattern: 'ca_chain',
    ...open,
    operations: { read: async (ctx) => raw(PEM_FILE, await caPemFile(ctx)) },
    help: 'The default issuer’s chain, PEM (a root is its own chain).',
  }),
  definePath({
    pattern: 'crl',
    ...open,
    operations: { read: async (ctx) => raw('application/pkix-crl', await crlDer(ctx)) },
    help: 'The default issuer’s CRL, DER.',
  }),
  definePath({
    pattern: 'crl/pem',
    ...open,
    operations: {
      read: async (ctx) => {
        const der = await crlDer(ctx);
        return raw('application/x-pem-file', der && derToPem(der, 'X509 CRL'));
      },
    },
    help: 'The default issuer’s CRL, PEM.',
  }),
  definePath({
    pattern: 'cert/ca',
    ...open,
    operations: { read: async (ctx) => certJson(await caPem(ctx)) },
    help: 'The default issuer’s certificate, in JSON.',
  }),
  definePath({
    pattern: 'cert/ca_chain',
    ...open,
    operations: {
      read: async (ctx) => {
        const pem = await caPem(ctx);
        return pem ? { data: { certificate: `${pem}\n`, ca_chain: `${pem}\n` } } : undefined;
      },
    },
    help: 'The default issuer’s chain, in JSON.',
  }),
  definePath({
    pattern: 'cert/crl',
    ...open,
    operations: {
      read: async (ctx) => {
        const der = await crlDer(ctx);
        return der ? { data: { certificate: derToPem(der, 'X509 CRL') } } : undefined;
      },
    },
    help: 'The default issuer’s CRL, in JSON.',
  }),
  definePath({
    pattern: 'cert/:serial',
    ...open,
    fields: { serial: field.name('Serial number, colon- or hyphen-separated hex.') },
    operations: { read: readCert },
    help: 'An issued certificate by serial, with its revocation time (0 if not revoked).',
  }),
  definePath({
    pattern: 'certs/',
    operations: { list: listCerts },
    help: 'List the serial numbers of stored certificates.',
  }),
];
