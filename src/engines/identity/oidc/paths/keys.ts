/** `oidc/key/:name` and `oidc/key/:name/rotate`: named signing keys, their settings and manual rotation. */
import { invalid } from '../../../../core/errors.js';
import { field, type Input } from '../../../../framework/fields.js';
import type { LogicalRequest } from '../../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../../framework/path.js';
import { expirePublicKeys, replaceVersions, rotate } from '../key-ring.js';
import { type OidcRuntime, underLock } from '../runtime.js';
import { isSigningAlgorithm } from '../signing-keys.js';
import { listNames, loadKey, NAMED_KEYS, type NamedKey, rolesUsingKey, saveKey } from '../store.js';

/** Vault creates this key (settings only) with the identity store, and refuses to delete it. */
export const DEFAULT_KEY = 'default';

const keyFields = {
  name: field.name('Name of the key.'),
  rotation_period: field.duration('How often to generate a new key pair.', { default: 24 * 3600 }),
  verification_ttl: field.duration(
    'How long the public part of a key stays published for verification after it was rotated out.',
    { default: 24 * 3600 },
  ),
  algorithm: field.string('Signing algorithm: RS256 (default), RS384, RS512, ES256, ES384, ES512 or EdDSA.', {
    default: 'RS256',
    max: 16,
  }),
  allowed_client_ids: field.stringList(
    'Role client IDs allowed to sign with this key, a list or "a,b"; "*" allows every role, empty none.',
  ),
};
type KeyInput = Input<typeof keyFields>;

const rotateFields = {
  name: field.name('Name of the key.'),
  verification_ttl: field.duration("Overrides the key's verification_ttl for the version rotated out."),
};

/** Vault's defaultOIDCKey: RS256, 24h rotation and verification, every client ID allowed, no versions yet. */
export function defaultKeySettings(now: number): NamedKey {
  return {
    algorithm: 'RS256',
    rotationPeriod: 24 * 3600,
    verificationTtl: 24 * 3600,
    allowedClientIds: ['*'],
    keyRing: [],
    nextRotation: now + 24 * 3600 * 1000,
  };
}

/** The key's settings after this write, or Vault's error; `key` is the stored key on an update. */
async function applySettings(ctx: EngineContext, name: string, input: KeyInput, key: NamedKey | undefined) {
  const rotationPeriod = input.rotation_period ?? key?.rotationPeriod ?? 0;
  if (rotationPeriod < 60) throw invalid('rotation_period must be at least one minute');
  const verificationTtl = input.verification_ttl ?? key?.verificationTtl ?? 0;
  if (verificationTtl > 10 * rotationPeriod)
    throw invalid('verification_ttl cannot be longer than 10x rotation_period');
  if (key) {
    for (const role of (await rolesUsingKey(ctx.storage, name)).values()) {
      if (role.ttl > verificationTtl)
        throw invalid(
          `unable to update key "${name}" because it is currently referenced by one or more roles with a token ttl greater than ${verificationTtl} seconds`,
        );
    }
  }
  const algorithm = input.algorithm ?? key?.algorithm ?? '';
  if (!isSigningAlgorithm(algorithm)) throw invalid(`unknown signing algorithm "${algorithm}"`);
  return {
    rotationPeriod,
    verificationTtl,
    algorithm,
    allowedClientIds: input.allowed_client_ids ?? key?.allowedClientIds ?? [],
  };
}

async function writeKey(runtime: OidcRuntime, ctx: EngineContext, input: KeyInput, req: LogicalRequest) {
  const name = input.name!;
  await underLock(runtime, ctx, async () => {
    const stored = req.operation === 'create' ? undefined : await loadKey(ctx.storage, name);
    const settings = await applySettings(ctx, name, input, stored);
    const now = ctx.clock.now();
    const key: NamedKey = { keyRing: [], nextRotation: 0, ...stored, ...settings };
    // A shorter rotation period brings the next rotation forward; a longer one waits for it.
    const nextRotation = now + settings.rotationPeriod * 1000;
    if (key.nextRotation === 0 || nextRotation < key.nextRotation) key.nextRotation = nextRotation;
    if (key.algorithm !== stored?.algorithm) await replaceVersions(ctx.storage, key, now);
    await saveKey(ctx.storage, name, key);
  });
  await runtime.schedule.sweep(ctx);
}

async function deleteKey(runtime: OidcRuntime, ctx: EngineContext, name: string) {
  if (name === DEFAULT_KEY) throw invalid(`deletion of key "${DEFAULT_KEY}" not allowed`);
  await underLock(runtime, ctx, async () => {
    const roles = [...(await rolesUsingKey(ctx.storage, name)).keys()].sort();
    if (roles.length > 0)
      throw invalid(
        `unable to delete key "${name}" because it is currently referenced by these roles: ${roles.join(', ')}`,
      );
    await ctx.storage.delete(NAMED_KEYS + name);
    // Its versions leave the JWKS now: no ring holds them any more.
    await expirePublicKeys(ctx.storage, ctx.clock.now());
  });
}

async function rotateKey(runtime: OidcRuntime, ctx: EngineContext, input: Input<typeof rotateFields>) {
  const name = input.name!;
  await underLock(runtime, ctx, async () => {
    const key = await loadKey(ctx.storage, name);
    if (!key) throw invalid(`no named key found at "${name}"`);
    await rotate(ctx.storage, name, key, ctx.clock.now(), input.verification_ttl);
  });
  await runtime.schedule.sweep(ctx);
}

export function keyPaths(runtime: OidcRuntime) {
  return [
    definePath({
      pattern: 'oidc/key/',
      operations: { list: async (ctx) => ({ data: { keys: await listNames(ctx.storage, NAMED_KEYS) } }) },
      help: 'List the named keys.',
    }),
    definePath({
      pattern: 'oidc/key/:name',
      fields: keyFields,
      exists: (ctx, input) => ctx.storage.has(NAMED_KEYS + input.name),
      operations: {
        read: async (ctx, input) => {
          const key = await loadKey(ctx.storage, input.name!);
          return (
            key && {
              data: {
                rotation_period: key.rotationPeriod,
                verification_ttl: key.verificationTtl,
                algorithm: key.algorithm,
                allowed_client_ids: key.allowedClientIds,
              },
            }
          );
        },
        create: (ctx, input, req) => writeKey(runtime, ctx, input, req),
        update: (ctx, input, req) => writeKey(runtime, ctx, input, req),
        delete: (ctx, input) => deleteKey(runtime, ctx, input.name!),
      },
      help: 'Create, read, update or delete a named key that roles sign identity tokens with.',
    }),
    definePath({
      pattern: 'oidc/key/:name/rotate',
      fields: rotateFields,
      operations: { update: (ctx, input) => rotateKey(runtime, ctx, input) },
      help: 'Rotate a named key now: the next key starts signing, the current one stays published for verification_ttl.',
    }),
  ];
}
