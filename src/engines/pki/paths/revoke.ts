/**
 * `revoke` (a certificate goes on its issuer's CRL) and `tidy` (expired entries leave the store). A
 * revoked certificate stays on the CRL until it has expired by more than the safety buffer: tidy never
 * drops a revoked certificate that is still valid (CVE-2021-27668).
 */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { rebuildCrl, type SignerCache } from '../ca.js';
import {
  defaultIssuer,
  listIssuers,
  listRevocations,
  loadCert,
  loadIssuer,
  loadRevocation,
  saveRevocation,
  serialFromKey,
  serialKey,
} from '../store.js';

const revokeFields = {
  serial_number: field.string('Serial number of the certificate to revoke.', { max: 256 }),
};

function revoke(cache: SignerCache, ctx: EngineContext, serialText: string) {
  return cache.withCrlLock(ctx, () => revokeLocked(cache, ctx, serialText));
}

async function revokeLocked(cache: SignerCache, ctx: EngineContext, serialText: string) {
  const serial = serialFromKey(serialKey(serialText));
  const existing = await loadRevocation(ctx.storage, serial);
  if (existing) {
    return {
      data: {
        revocation_time: existing.revocationTime,
        revocation_time_rfc3339: new Date(existing.revocationTime * 1000).toISOString(),
        state: 'revoked',
      },
    };
  }
  const issuers = await listIssuers(ctx.storage);
  if (issuers.some((issuer) => issuer.serialNumber === serial))
    throw invalid('adding issuer to its own CRL is not allowed');
  const cert = await loadCert(ctx.storage, serial);
  if (!cert) throw invalid(`certificate with serial ${serial} not found`);
  const now = Math.floor(ctx.clock.now() / 1000);
  // Vault does not revoke a certificate that has already expired; it is off every CRL anyway.
  if (cert.notAfter < now)
    return { warnings: [`certificate with serial ${serial} already expired; refusing to add to CRL`] };
  await saveRevocation(ctx.storage, {
    serialNumber: serial,
    revocationTime: now,
    certificate: cert.certificate,
    issuerId: cert.issuerId,
    notAfter: cert.notAfter,
  });
  const issuer = await loadIssuer(ctx.storage, cert.issuerId);
  if (issuer) await rebuildCrl(ctx, await cache.load(ctx, issuer));
  return {
    data: {
      revocation_time: now,
      revocation_time_rfc3339: new Date(now * 1000).toISOString(),
      state: 'revoked',
    },
  };
}

const tidyFields = {
  tidy_cert_store: field.bool('Delete stored certificates that expired more than safety_buffer ago.'),
  tidy_revoked_certs: field.bool(
    'Delete revocations of certificates that expired more than safety_buffer ago.',
  ),
  safety_buffer: field.duration('How long past expiry an entry is kept (72h default).'),
};

/** Runs to completion before answering 202, so its effects are visible to the next request. */
async function tidy(cache: SignerCache, ctx: EngineContext, input: Input<typeof tidyFields>) {
  return cache.withCrlLock(ctx, () => tidyLocked(cache, ctx, input));
}

async function tidyLocked(cache: SignerCache, ctx: EngineContext, input: Input<typeof tidyFields>) {
  const certStore = input.tidy_cert_store ?? false;
  const revoked = input.tidy_revoked_certs ?? false;
  if (!certStore && !revoked)
    throw invalid('at least one of tidy_cert_store or tidy_revoked_certs must be set');
  const buffer = input.safety_buffer ?? 72 * 3600;
  if (buffer < 1) throw invalid('safety_buffer must be greater than zero');
  const cutoff = Math.floor(ctx.clock.now() / 1000) - buffer;
  let deleted = 0;
  if (certStore) {
    for (const key of await ctx.storage.list('certs/')) {
      const cert = await loadCert(ctx.storage, key);
      if (cert && cert.notAfter < cutoff) {
        await ctx.storage.delete(`certs/${key}`);
        deleted++;
      }
    }
  }
  let revokedDeleted = 0;
  if (revoked) {
    for (const entry of await listRevocations(ctx.storage)) {
      if (entry.notAfter >= cutoff) continue; // still valid, or not long expired: stays on the CRL
      await ctx.storage.delete(`revoked/${serialKey(entry.serialNumber)}`);
      await ctx.storage.delete(`certs/${serialKey(entry.serialNumber)}`);
      revokedDeleted++;
    }
    const issuer = await defaultIssuer(ctx.storage);
    if (issuer && revokedDeleted) await rebuildCrl(ctx, await cache.load(ctx, issuer));
  }
  ctx.log.info('pki tidy finished', { certs_deleted: deleted, revoked_deleted: revokedDeleted });
  return {
    httpStatus: 202,
    warnings: [
      "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.",
    ],
  };
}

export function revokePaths(cache: SignerCache) {
  return [
    definePath({
      pattern: 'revoke',
      fields: revokeFields,
      operations: {
        update: (ctx, input) => {
          if (!input.serial_number) throw invalid('the serial number must be provided');
          return revoke(cache, ctx, input.serial_number);
        },
      },
      help: 'Revoke a certificate by serial number; the CRL is rebuilt.',
    }),
    definePath({
      pattern: 'tidy',
      fields: tidyFields,
      operations: { update: (ctx, input) => tidy(cache, ctx, input) },
      help: 'Delete expired certificates and revocations past the safety buffer.',
    }),
  ];
}

export { revoke };
