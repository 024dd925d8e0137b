/** Test tables for the ACL: policies given once, then the requests a user would make and what they get. */
import assert from 'node:assert/strict';
import { Acl, type AclOperation, type IdentityContext, isSudoPath } from './acl.js';
import { ROOT_POLICY } from './builtin.js';
import { parsePolicy } from './parse.js';

/** One HCL path block; `extra` holds further attribute lines. */
export const rule = (path: string, caps: string[], extra = '') =>
  `path "${path}" {\n  capabilities = ${JSON.stringify(caps)}\n${extra}}\n`;

export interface Expectation {
  data?: Record<string, unknown>;
  wrap?: number;
  /** What `capabilities(path)` answers, when the case is about it. */
  caps?: string[];
}

/** `[case name as a user would say it, "operation path", allowed?, extras]`. */
export type Case = [string, string, boolean, Expectation?];

export interface Group {
  /** Each string is one of the token's policies. */
  policies: string[];
  identity?: IdentityContext;
  root?: boolean;
  cases: Case[];
}

export const countCases = (groups: Group[]) => groups.reduce((n, g) => n + g.cases.length, 0);

/** Runs one case: compiles the group's policies and checks the verdict (sudo exactly where `isSudoPath` says). */
export async function checkCase(group: Group, [, request, allowed, extra = {}]: Case): Promise<void> {
  const policies = await Promise.all(group.policies.map((text, i) => parsePolicy(`p${i}`, text)));
  const acl = new Acl(group.root ? [ROOT_POLICY, ...policies] : policies, group.identity);
  const [operation, path] = request.split(' ') as [AclOperation, string];
  const verdict = acl.allowOperation({
    path,
    operation,
    data: extra.data,
    wrapTtlSeconds: extra.wrap,
    requiresSudo: isSudoPath(path),
  });
  assert.equal(verdict.allowed, allowed, verdict.reason ?? 'allowed');
  assert.equal(verdict.isRoot, group.root === true, 'isRoot');
  if (extra.caps) assert.deepEqual(acl.capabilities(path), extra.caps);
}
