/**
 * The mount's CA: generating a root, loading the signer for the default issuer (its WebCrypto key
 * cached per mount and issuer), and rebuilding the issuer's CRL from the revocation entries.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { invalid } from '../../core/errors.js';
import { KeyedMutex } from '../../framework/keyed-mutex.js';
import type { EngineContext } from '../../framework/path.js';
import { parseCertificate, pemOf, type Signer, signCrl } from './certs.js';
import { toSigningKey } from './keys.js';
import { defaultIssuer, type Issuer, listRevocations, loadCrl, loadKey, saveCrl } from './store.js';

/** Vault's default CRL lifetime (config/crl `expiry`). */
const CRL_EXPIRY_SECONDS = 72 * 3600;

export interface LoadedIssuer {
  issuer: Issuer;
  signer: Required<Signer>;
}

/**
 * Signers by mount and issuer (importing the key costs more than signing one leaf), and the lock that
 * makes revocations and tidy rebuild a mount's CRL one at a time.
 */
export class SignerCache {
  private readonly entries = new Map<string, Promise<LoadedIssuer>>();
  private readonly crlMutex = new KeyedMutex();

  /**
   * Two revocations rebuilding at once could each list the entries before the other's was saved, and
   * the later save would drop a revoked serial from the CRL.
   */
  withCrlLock<T>(ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
    return this.crlMutex.run(ctx.system.mountUuid, fn);
  }

  async defaultIssuer(ctx: EngineContext): Promise<LoadedIssuer> {
    const issuer = await defaultIssuer(ctx.storage);
    if (!issuer) throw invalid('no default issuer currently configured');
    return this.load(ctx, issuer);
  }

  load(ctx: EngineContext, issuer: Issuer): Promise<LoadedIssuer> {
    const cacheKey = `${ctx.system.mountUuid}/${issuer.id}`;
    let entry = this.entries.get(cacheKey);
    if (!entry) {
      entry = loadSigner(ctx, issuer);
      this.entries.set(cacheKey, entry);
      entry.catch(() => this.entries.delete(cacheKey));
    }
    return entry;
  }

  forgetMount(mountUuid: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${mountUuid}/`)) this.entries.delete(key);
  }
}

async function loadSigner(ctx: EngineContext, issuer: Issuer): Promise<LoadedIssuer> {
  const stored = await loadKey(ctx.storage, issuer.keyId);
  if (!stored) throw invalid(`unable to fetch corresponding key for issuer ${issuer.id}`);
  const keyObject: KeyObject = createPrivateKey(stored.privateKey);
  const key = await toSigningKey(keyObject);
  return { issuer, signer: { key, keyObject, issuer: await parseCertificate(issuer.certificate) } };
}

/** Re-signs the issuer's CRL with every revocation it made that is still on record. */
export async function rebuildCrl(ctx: EngineContext, loaded: LoadedIssuer): Promise<X509.X509Crl> {
  const revocations = (await listRevocations(ctx.storage)).filter((r) => r.issuerId === loaded.issuer.id);
  const previous = await loadCrl(ctx.storage, loaded.issuer.id);
  const number = (previous?.number ?? 0) + 1;
  const now = new Date(ctx.clock.now());
  const entries = revocations.map((r) => ({
    serialHex: r.serialNumber.replaceAll(':', ''),
    revokedAt: new Date(r.revocationTime * 1000),
  }));
  const crl = await signCrl(
    loaded.signer,
    entries,
    number,
    now,
    new Date(now.getTime() + CRL_EXPIRY_SECONDS * 1000),
  );
  await saveCrl(ctx.storage, loaded.issuer.id, { der: Buffer.from(crl.rawData).toString('base64'), number });
  return crl;
}

export { pemOf };
