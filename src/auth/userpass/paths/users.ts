/** `users/`, `users/:username`, `users/:username/password`, `users/:username/policies`: user management. */
import { invalid } from '../../../core/errors.js';
import { field, type Input } from '../../../framework/fields.js';
import { definePath, type EngineContext } from '../../../framework/path.js';
import { defaultTokenParams, tokenFields, tokenParamsToWire, updateTokenParams } from '../../token-fields.js';
import type { PasswordHasher } from '../password-hash.js';
import { isStorableUsername, loadUser, normaliseUsername, saveUser } from '../users.js';

const usernameField = { username: field.name('Username; stored trimmed and lower-cased.') };
const passwordField = {
  password: field.string('Password of the user.', { max: 4096 }),
};

const userFields = {
  ...usernameField,
  ...passwordField,
  ...tokenFields,
  ttl: field.duration('Deprecated: use token_ttl.'),
  max_ttl: field.duration('Deprecated: use token_max_ttl.'),
  bound_cidrs: field.stringList('Deprecated: use token_bound_cidrs.'),
};

type UserInput = Input<typeof userFields>;

function usernameOf(input: { username?: string }): string {
  const name = normaliseUsername(input.username ?? '');
  if (!isStorableUsername(name)) throw invalid('invalid username');
  return name;
}

/** A deprecated field stands in for its token_* successor; naming both is an error, as in Vault. */
function preferCurrent<T>(current: T | undefined, deprecated: T | undefined, names: [string, string]) {
  if (current !== undefined && deprecated !== undefined)
    throw invalid(`"${names[0]}" and "${names[1]}" cannot both be supplied`);
  return current ?? deprecated;
}

function tokenInputOf(input: UserInput) {
  return {
    ...input,
    token_ttl: preferCurrent(input.token_ttl, input.ttl, ['token_ttl', 'ttl']),
    token_max_ttl: preferCurrent(input.token_max_ttl, input.max_ttl, ['token_max_ttl', 'max_ttl']),
    token_bound_cidrs: preferCurrent(input.token_bound_cidrs, input.bound_cidrs, [
      'token_bound_cidrs',
      'bound_cidrs',
    ]),
  };
}

function requirePassword(password: string | undefined): string {
  if (!password) throw invalid('missing password');
  return password;
}

async function writeUser(ctx: EngineContext, input: UserInput, hasher: PasswordHasher) {
  const name = usernameOf(input);
  const existing = await loadUser(ctx.storage, name);
  if (!existing && input.password === undefined) throw invalid('missing password');
  const token = updateTokenParams(existing?.token ?? defaultTokenParams(), tokenInputOf(input));
  const passwordHash =
    input.password !== undefined || !existing
      ? await hasher.hash(requirePassword(input.password))
      : existing.passwordHash;
  await saveUser(ctx.storage, name, { passwordHash, token });
}

async function existingUser(ctx: EngineContext, input: { username?: string }) {
  const name = usernameOf(input);
  const user = await loadUser(ctx.storage, name);
  if (!user) throw invalid('username does not exist');
  return { name, user };
}

export function userPaths(hasher: PasswordHasher) {
  return [
    definePath({
      pattern: 'users/',
      operations: { list: async (ctx) => ({ data: { keys: await ctx.storage.list('user/') } }) },
      help: 'List the users.',
    }),
    definePath({
      pattern: 'users/:username',
      fields: userFields,
      exists: (ctx, input) => ctx.storage.has(`user/${usernameOf(input)}`),
      operations: {
        read: async (ctx, input) => {
          const user = await loadUser(ctx.storage, usernameOf(input));
          return user && { data: tokenParamsToWire(user.token) };
        },
        create: (ctx, input) => writeUser(ctx, input, hasher),
        update: (ctx, input) => writeUser(ctx, input, hasher),
        delete: (ctx, input) => ctx.storage.delete(`user/${usernameOf(input)}`),
      },
      help: 'Create, read, update or delete a user. The password is never returned.',
    }),
    definePath({
      pattern: 'users/:username/password',
      fields: { ...usernameField, ...passwordField },
      operations: {
        update: async (ctx, input) => {
          const password = requirePassword(input.password);
          const { name, user } = await existingUser(ctx, input);
          await saveUser(ctx.storage, name, { ...user, passwordHash: await hasher.hash(password) });
        },
      },
      help: "Reset a user's password.",
    }),
    definePath({
      pattern: 'users/:username/policies',
      fields: {
        ...usernameField,
        token_policies: tokenFields.token_policies,
        policies: tokenFields.policies,
      },
      operations: {
        update: async (ctx, input) => {
          const { name, user } = await existingUser(ctx, input);
          await saveUser(ctx.storage, name, { ...user, token: updateTokenParams(user.token, input) });
        },
      },
      help: "Replace the policies of a user's tokens.",
    }),
  ];
}
