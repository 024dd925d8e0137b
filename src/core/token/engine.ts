/** The `auth/token/` backend: a table of contents of the token store's endpoints. */
import { defineEngine, type Engine } from '../../framework/engine.js';
import { field } from '../../framework/fields.js';
import type { LogicalRequest } from '../../framework/logical.js';
import { andThen } from '../../framework/maybe-promise.js';
import { definePath } from '../../framework/path.js';
import { CofferError, deniedByPolicy, invalid } from '../errors.js';
import { createFields, createToken } from './create.js';
import { lookupData, type TokenEntry, withIdentityPolicies } from './entry.js';
import { rolePaths } from './roles.js';
import type { TokenStore } from './store.js';

const tokenField = { token: field.string('The token.', { max: 4096 }) };
const accessorField = { accessor: field.string('The token accessor.', { max: 256 }) };
const incrementField = { increment: field.duration('Requested TTL extension.') };

const badToken = () => new CofferError('permission_denied', 'bad token');

function selfToken(req: LogicalRequest): string {
  const token = req.caller?.clientToken;
  if (!token) throw invalid('missing token ID');
  return token;
}

function requireSudo(req: LogicalRequest): void {
  // Defence in depth: the ACL already demands sudo on these paths.
  if (!req.caller?.hasSudo) throw deniedByPolicy();
}

/** `identityPolicies`: the policies a token's entity and its groups add (none without an identity store). */
export function createTokenEngine(
  store: TokenStore,
  identityPolicies: (entityId: string) => string[] = () => [],
): Engine {
  // Not async: a cached token is looked up at once (see MaybePromise); a handler may throw.
  const lookupOf = (token: string | undefined, now: number) => {
    if (!token) throw invalid('missing token ID');
    return andThen(store.lookup(token), (entry) => {
      if (!entry) throw badToken();
      return { data: lookupData(token, entry, now, identityPolicies(entry.entityId)) };
    });
  };
  const accessorEntry = async (accessor: string | undefined): Promise<TokenEntry> => {
    if (!accessor) throw invalid('missing accessor');
    const entry = await store.lookupAccessor(accessor);
    if (!entry) throw invalid('invalid accessor');
    return entry;
  };
  const renewResponse = (result: {
    warnings: string[];
    wire: Record<string, unknown>;
    entry: TokenEntry;
  }) => ({
    auth: {
      policies: result.entry.policies,
      wire: withIdentityPolicies(result.wire, identityPolicies(result.entry.entityId)),
    },
    warnings: result.warnings.length ? result.warnings : undefined,
  });
  /** A new child token shows the policies its (inherited) entity adds, as a login does. */
  const create = async (...args: Parameters<typeof createToken>) => {
    const response = await createToken(...args);
    const auth = response.auth;
    if (!auth?.wire) return response;
    const entityId = String(auth.wire.entity_id ?? '');
    return {
      ...response,
      auth: { ...auth, wire: withIdentityPolicies(auth.wire, identityPolicies(entityId)) },
    };
  };

  return defineEngine({
    type: 'token',
    help: 'Token based credentials.',
    paths: [
      definePath({
        pattern: 'create',
        fields: createFields,
        operations: {
          update: (ctx, input, req) => create(store, ctx, req, input, { orphanEndpoint: false }),
        },
        help: 'Create a child token.',
      }),
      definePath({
        pattern: 'create-orphan',
        fields: createFields,
        operations: {
          update: (ctx, input, req) => create(store, ctx, req, input, { orphanEndpoint: true }),
        },
        help: 'Create a token without a parent (root or sudo).',
      }),
      definePath({
        pattern: 'create/:role_name',
        fields: createFields,
        operations: {
          update: (ctx, input, req) => create(store, ctx, req, input, { orphanEndpoint: false }),
        },
        help: 'Create a token shaped by a role.',
      }),
      definePath({
        pattern: 'lookup',
        fields: tokenField,
        operations: {
          read: (ctx, input, req) => lookupOf(input.token ?? req.caller?.clientToken, ctx.clock.now()),
          update: (ctx, input) => lookupOf(input.token, ctx.clock.now()),
        },
        help: 'Look up a token.',
      }),
      definePath({
        pattern: 'lookup-self',
        operations: { read: (ctx, _input, req) => lookupOf(selfToken(req), ctx.clock.now()) },
        help: 'Look up the calling token.',
      }),
      definePath({
        pattern: 'lookup-accessor',
        fields: accessorField,
        operations: {
          update: async (ctx, input) => {
            const entry = await accessorEntry(input.accessor);
            return { data: lookupData('', entry, ctx.clock.now(), identityPolicies(entry.entityId)) };
          },
        },
        help: 'Look up a token by accessor; the token itself is never returned.',
      }),
      definePath({
        pattern: 'renew',
        fields: { ...tokenField, ...incrementField },
        operations: {
          update: async (_ctx, input) => {
            if (!input.token) throw invalid('missing token ID');
            return renewResponse(await store.renew(input.token, input.increment ?? 0));
          },
        },
        help: 'Renew a token.',
      }),
      definePath({
        pattern: 'renew-self',
        fields: incrementField,
        operations: {
          update: async (_ctx, input, req) =>
            renewResponse(await store.renew(selfToken(req), input.increment ?? 0)),
        },
        help: 'Renew the calling token.',
      }),
      definePath({
        pattern: 'renew-accessor',
        fields: { ...accessorField, ...incrementField },
        operations: {
          update: async (_ctx, input) => {
            const result = await store.renewEntry(await accessorEntry(input.accessor), input.increment ?? 0);
            return renewResponse({ ...result, wire: { ...result.wire, client_token: '' } });
          },
        },
        help: 'Renew a token by accessor.',
      }),
      definePath({
        pattern: 'revoke',
        fields: tokenField,
        operations: {
          update: async (_ctx, input) => {
            if (!input.token) throw invalid('missing token ID');
            await store.revoke(input.token);
          },
        },
        help: 'Revoke a token and all its children.',
      }),
      definePath({
        pattern: 'revoke-self',
        operations: { update: async (_ctx, _input, req) => store.revoke(selfToken(req)) },
        help: 'Revoke the calling token and all its children.',
      }),
      definePath({
        pattern: 'revoke-accessor',
        fields: accessorField,
        operations: {
          update: async (_ctx, input) => {
            await accessorEntry(input.accessor);
            await store.revokeAccessor(input.accessor!);
          },
        },
        help: 'Revoke a token by accessor.',
      }),
      definePath({
        pattern: 'revoke-orphan',
        fields: tokenField,
        operations: {
          update: async (_ctx, input, req) => {
            requireSudo(req);
            if (!input.token) throw invalid('missing token ID');
            await store.revokeOrphan(input.token);
          },
        },
        help: 'Revoke a token; its children become orphans (sudo).',
      }),
      definePath({
        pattern: 'accessors/',
        operations: {
          list: async (_ctx, _input, req) => {
            requireSudo(req);
            return { data: { keys: await store.listAccessors() } };
          },
        },
        help: 'List token accessors (sudo).',
      }),
      definePath({
        pattern: 'tidy',
        operations: {
          update: async () => {
            void store.tidy().catch(() => undefined);
            return {
              httpStatus: 202,
              warnings: [
                "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.",
              ],
            };
          },
        },
        help: 'Clean up dangling token indexes.',
      }),
      ...rolePaths(),
    ],
  });
}
