/**
 * The `pki` engine: a CA behind the barrier that issues X.509 certificates under roles, signs CSRs,
 * revokes and publishes a CRL, in Vault's API. One issuer is the default; issued keys are never stored.
 */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { SignerCache } from './ca.js';
import { fetchPaths } from './paths/fetch.js';
import { issuePaths } from './paths/issue.js';
import { revoke, revokePaths } from './paths/revoke.js';
import { rolePaths } from './paths/roles.js';
import { rootPaths } from './paths/root.js';

export function createPkiEngine(): Engine {
  const cache = new SignerCache();
  return defineEngine({
    type: 'pki',
    help: 'Issues X.509 certificates from a CA kept behind the barrier, under roles that limit names and TTLs.',
    paths: [...rootPaths(cache), ...fetchPaths, ...rolePaths, ...issuePaths(cache), ...revokePaths(cache)],
    secrets: [
      {
        type: 'pki',
        // A lease from generate_lease: its revocation revokes the certificate.
        revoke: async (ctx, lease) => {
          const serial = lease.internalData.serial_number;
          if (typeof serial === 'string') await revoke(cache, ctx, serial);
        },
      },
    ],
    cleanup: async (ctx) => cache.forgetMount(ctx.system.mountUuid),
  });
}

export const pkiEngine = createPkiEngine();
