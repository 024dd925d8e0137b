/** ACL policies stored at `sys/policy/<name>`, with compiled ACLs cached per policy set. */

import type { MaybePromise } from '../framework/maybe-promise.js';
import type { StorageView } from '../framework/storage-view.js';
import { Acl } from '../policy/acl.js';
import { DEFAULT_POLICY, RESPONSE_WRAPPING_POLICY } from '../policy/builtin.js';
import { type Policy, parsePolicy } from '../policy/parse.js';
import type { IdentityContext } from '../policy/template.js';
import { invalid } from './errors.js';

interface StoredPolicy {
  name: string;
  raw: string;
}

const IMMUTABLE = new Set(['root', 'response-wrapping']);

export class PolicyStore {
  private readonly parsed = new Map<string, Policy>();
  private readonly acls = new Map<string, Acl>();
  /**
   * The same, by the identity of a token entry's policy list: a cached token brings the same array on
   * every request, and sorting and joining it for the key was a measurable share of a KV read.
   */
  private aclsByList = new WeakMap<readonly string[], Acl>();
  /**
   * ACLs of tokens with an entity, by the entity's resolved identity (a new object after every identity
   * write, so a change to an entity or group applies at once) and then by the token's policy list.
   */
  private identityAcls = new WeakMap<object, WeakMap<readonly string[], Acl>>();

  constructor(private readonly storage: StorageView) {}

  /** Writes the built-in `default` policy the first time a barrier is unsealed. */
  async ensureDefaults(): Promise<void> {
    if (!(await this.storage.has('default')))
      await this.storage.putJson('default', { name: 'default', raw: DEFAULT_POLICY });
  }

  async list(): Promise<string[]> {
    const names = (await this.storage.list('')).filter((n) => !n.endsWith('/'));
    return [...new Set([...names, 'root'])].sort();
  }

  async read(name: string): Promise<StoredPolicy | undefined> {
    if (name === 'root') return { name: 'root', raw: '' };
    return this.storage.getJson<StoredPolicy>(name);
  }

  async exists(name: string): Promise<boolean> {
    return name === 'root' || name === 'response-wrapping' || (await this.storage.has(name));
  }

  async write(name: string, raw: string): Promise<void> {
    if (IMMUTABLE.has(name)) throw invalid(`cannot update "${name}" policy`);
    const policy = await parsePolicy(name, raw);
    await this.forgetAfter(this.storage.putJson(name, { name, raw }), name);
    this.parsed.set(name, policy);
  }

  async delete(name: string): Promise<void> {
    if (name === 'root') throw invalid('cannot delete "root" policy');
    if (name === 'default') throw invalid('cannot delete default policy');
    if (name === 'response-wrapping') throw invalid('cannot delete "response-wrapping" policy');
    await this.forgetAfter(this.storage.delete(name), name);
  }

  /**
   * Drops the cached policy once its write has finished, failed included: storage may have applied a
   * write whose acknowledgement was lost, and the policy parsed before it was enforced until restart.
   */
  private async forgetAfter(write: Promise<void>, name: string): Promise<void> {
    try {
      await write;
    } finally {
      this.parsed.delete(name);
      this.forgetAcls();
    }
  }

  /** A policy changed: every compiled ACL may include it. */
  private forgetAcls(): void {
    this.acls.clear();
    this.aclsByList = new WeakMap();
    this.identityAcls = new WeakMap();
  }

  /**
   * The compiled ACL of a token's policy set; unknown policy names contribute nothing. A token seen
   * before gets it at once, not through a promise (see MaybePromise): this runs on every request.
   */
  aclFor(names: readonly string[]): MaybePromise<Acl> {
    return this.aclsByList.get(names) ?? this.compileAcl(names);
  }

  private async compileAcl(names: readonly string[]): Promise<Acl> {
    const key = [...names].sort().join('\n');
    const cached = this.acls.get(key);
    if (cached) {
      this.aclsByList.set(names, cached);
      return cached;
    }
    const policies: Policy[] = [];
    for (const name of names) {
      const policy = await this.load(name);
      if (policy) policies.push(policy);
    }
    const acl = new Acl(policies);
    if (this.acls.size > 10_000) this.acls.clear(); // bounded: policy sets are few in practice
    this.acls.set(key, acl);
    this.aclsByList.set(names, acl);
    return acl;
  }

  /**
   * The ACL of a token with an entity: its own policies plus the identity's, with `{{identity.…}}`
   * templates rendered for that entity.
   */
  async aclWithIdentity(
    names: readonly string[],
    identity: { readonly policies: readonly string[]; readonly context: IdentityContext },
  ): Promise<Acl> {
    // Taken before any await: a policy change meanwhile replaces the map, so this result is not kept.
    const byIdentity = this.identityAcls;
    const cached = byIdentity.get(identity)?.get(names);
    if (cached) return cached;
    const policies: Policy[] = [];
    for (const name of new Set([...names, ...identity.policies])) {
      const policy = await this.load(name);
      if (policy) policies.push(policy);
    }
    const acl = new Acl(policies, identity.context);
    let byList = byIdentity.get(identity);
    if (!byList) {
      byList = new WeakMap();
      byIdentity.set(identity, byList);
    }
    byList.set(names, acl);
    return acl;
  }

  private async load(name: string): Promise<Policy | undefined> {
    const cached = this.parsed.get(name);
    if (cached) return cached;
    let raw: string | undefined;
    if (name === 'root') raw = undefined;
    else if (name === 'response-wrapping') raw = RESPONSE_WRAPPING_POLICY;
    else raw = (await this.storage.getJson<StoredPolicy>(name))?.raw;
    if (raw === undefined && name !== 'root') return undefined;
    const policy = await parsePolicy(name, raw ?? '');
    this.parsed.set(name, policy);
    return policy;
  }
}
