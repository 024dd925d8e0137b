/** `sys/policy` and `sys/policies/acl`: ACL policy CRUD (HCL or JSON, optionally base64-encoded). */
import { field } from '../../framework/fields.js';
import type { LogicalResponse } from '../../framework/logical.js';
import { definePath } from '../../framework/path.js';
import { normalizePolicyName, policyNameWarning } from '../../policy/builtin.js';
import type { Core } from '../core.js';
import { invalid } from '../errors.js';

const policyFields = {
  name: field.string('Policy name.', { max: 512 }),
  policy: field.string('Policy text (HCL or JSON, optionally base64).', { max: 4 << 20 }),
  rules: field.string('Deprecated alias of policy.', { max: 4 << 20 }),
};

/** Vault accepts the policy text base64-encoded and decodes it when it decodes cleanly. */
function decodePolicyText(text: string): string {
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text.trim()) && text.trim().length % 4 === 0) {
    const decoded = Buffer.from(text.trim(), 'base64').toString('utf8');
    if (!decoded.includes('\uFFFD')) return decoded;
  }
  return text;
}

async function writePolicy(core: Core, rawName: string, text: string | undefined, warnings: string[]) {
  // Trimmed as well as lower-cased (Vault's sanitizeName): ` root` is `root`, refused by the store.
  const name = normalizePolicyName(rawName);
  if (name === '') throw invalid('policy name must not be empty');
  const renamed = policyNameWarning(rawName);
  if (renamed) warnings.push(renamed);
  if (!text || text.trim() === '') throw invalid("'policy' parameter not supplied or empty");
  await core.unsealed.policies.write(name, decodePolicyText(text));
  return warnings.length ? { warnings } : undefined;
}

async function readPolicy(
  core: Core,
  name: string,
  textKey: 'rules' | 'policy',
): Promise<LogicalResponse | undefined> {
  const stored = await core.unsealed.policies.read(normalizePolicyName(name));
  return stored && { data: { name: stored.name, [textKey]: stored.raw } };
}

export function policyPaths(core: Core) {
  return [
    definePath({
      pattern: 'policy',
      operations: {
        read: async () => {
          const names = await core.unsealed.policies.list();
          return { data: { keys: names, policies: names } };
        },
      },
      help: 'List policies.',
    }),
    definePath({
      pattern: 'policy/:name',
      fields: policyFields,
      operations: {
        read: (_ctx, input) => readPolicy(core, input.name!, 'rules'),
        update: (_ctx, input) => {
          const warnings =
            input.rules !== undefined ? ["'rules' is deprecated, please use 'policy' instead"] : [];
          return writePolicy(core, input.name!, input.policy ?? input.rules, warnings);
        },
        delete: (_ctx, input) => core.unsealed.policies.delete(normalizePolicyName(input.name!)),
      },
      help: 'Read, write or delete a policy (legacy endpoint).',
    }),
    definePath({
      pattern: 'policies/acl/',
      operations: { list: async () => ({ data: { keys: await core.unsealed.policies.list() } }) },
      help: 'List ACL policies.',
    }),
    definePath({
      pattern: 'policies/acl/:name',
      fields: policyFields,
      operations: {
        read: (_ctx, input) => readPolicy(core, input.name!, 'policy'),
        update: (_ctx, input) => writePolicy(core, input.name!, input.policy, []),
        delete: (_ctx, input) => core.unsealed.policies.delete(normalizePolicyName(input.name!)),
      },
      help: 'Read, write or delete an ACL policy.',
    }),
  ];
}
