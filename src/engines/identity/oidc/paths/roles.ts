/** `oidc/role/:name`: which key signs a role's tokens, their lifetime, audience (client_id) and extra claims. */
import { invalid } from '../../../../core/errors.js';
import { base62 } from '../../../../core/ids.js';
import { field, type Input } from '../../../../framework/fields.js';
import type { LogicalRequest } from '../../../../framework/logical.js';
import { definePath, type EngineContext } from '../../../../framework/path.js';
import { isStrictBase64 } from '../../../../framework/strict-base64.js';
import { templateProblem } from '../claims.js';
import { replaceVersions } from '../key-ring.js';
import { type OidcRuntime, underLock } from '../runtime.js';
import { listNames, loadKey, loadRole, type OidcRole, ROLES, saveKey, saveRole } from '../store.js';
import { DEFAULT_KEY, defaultKeySettings } from './keys.js';

const roleFields = {
  name: field.name('Name of the role.'),
  key: field.string('The named key that signs this role’s tokens; it must exist.', { max: 512 }),
  template: field.string(
    'Extra claims: a JSON object with identity template directives, as JSON or base64.',
    {
      max: 64 * 1024,
    },
  ),
  ttl: field.duration('Lifetime of the tokens issued for this role.', { default: 24 * 3600 }),
  client_id: field.string('The tokens’ audience (aud); a random one is generated when unset.', { max: 512 }),
};
type RoleInput = Input<typeof roleFields>;

/** Vault tries base64 first and keeps the decoded text when that works. */
function decodeTemplate(template: string): string {
  return isStrictBase64(template) ? Buffer.from(template, 'base64').toString('utf8') : template;
}

/** The default key gets its first versions when a role first uses it (Vault's lazyGenerateDefaultKey). */
async function ensureDefaultKeyVersions(ctx: EngineContext): Promise<void> {
  const now = ctx.clock.now();
  const key = (await loadKey(ctx.storage, DEFAULT_KEY)) ?? defaultKeySettings(now);
  if (key.signingKey) return;
  await replaceVersions(ctx.storage, key, now);
  await saveKey(ctx.storage, DEFAULT_KEY, key);
}

async function roleAfterWrite(ctx: EngineContext, input: RoleInput, stored: OidcRole | undefined) {
  const keyName = input.key ?? stored?.key ?? '';
  if (keyName === '') throw invalid('the key parameter is required');
  if (keyName === DEFAULT_KEY) await ensureDefaultKeyVersions(ctx);
  const template = decodeTemplate(input.template ?? stored?.template ?? '');
  const problem = templateProblem(template, Math.floor(ctx.clock.now() / 1000));
  if (problem) throw invalid(problem);
  const ttl = input.ttl ?? stored?.ttl ?? 0;
  const key = await loadKey(ctx.storage, keyName);
  if (!key) throw invalid(`cannot find key "${keyName}"`);
  if (ttl > key.verificationTtl)
    throw invalid("a role's token ttl cannot be longer than the verification_ttl of the key it references");
  // 26 base62 characters, as Vault generates a client ID.
  const clientId = (input.client_id ?? stored?.clientId) || base62(26);
  return { key: keyName, template, ttl, clientId };
}

async function writeRole(runtime: OidcRuntime, ctx: EngineContext, input: RoleInput, req: LogicalRequest) {
  const name = input.name!;
  await underLock(runtime, ctx, async () => {
    const stored = req.operation === 'create' ? undefined : await loadRole(ctx.storage, name);
    await saveRole(ctx.storage, name, await roleAfterWrite(ctx, input, stored));
  });
  // A role that uses the default key may just have given it versions: arm their rotation.
  await runtime.schedule.sweep(ctx);
}

export function rolePaths(runtime: OidcRuntime) {
  return [
    definePath({
      pattern: 'oidc/role/',
      operations: { list: async (ctx) => ({ data: { keys: await listNames(ctx.storage, ROLES) } }) },
      help: 'List the roles.',
    }),
    definePath({
      pattern: 'oidc/role/:name',
      fields: roleFields,
      exists: (ctx, input) => ctx.storage.has(ROLES + input.name),
      operations: {
        read: async (ctx, input) => {
          const role = await loadRole(ctx.storage, input.name!);
          return (
            role && {
              data: { client_id: role.clientId, key: role.key, template: role.template, ttl: role.ttl },
            }
          );
        },
        create: (ctx, input, req) => writeRole(runtime, ctx, input, req),
        update: (ctx, input, req) => writeRole(runtime, ctx, input, req),
        delete: async (ctx, input) => {
          await underLock(runtime, ctx, () => ctx.storage.delete(ROLES + input.name));
        },
      },
      help: 'Create, read, update or delete a role that identity tokens are issued for.',
    }),
  ];
}
