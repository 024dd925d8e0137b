/** `auth/token/` helpers: create, lookup, renew and revoke, with the verbs and bodies the Go client uses. */
import type { VaultClient } from './client.js';
import { parseSecret, type Secret } from './secret.js';

/** Body of `auth/token/create`, shaped like the Go client's `TokenCreateRequest`. */
export interface TokenCreateRequest {
  id?: string;
  policies?: string[];
  meta?: Record<string, string>;
  ttl?: string;
  explicit_max_ttl?: string;
  period?: string;
  no_parent?: boolean;
  no_default_policy?: boolean;
  display_name: string;
  num_uses: number;
  renewable?: boolean;
  type: string;
  entity_alias: string;
}

export class TokenApi {
  constructor(private readonly client: VaultClient) {}

  private async call(method: string, path: string, body?: unknown): Promise<Secret | undefined> {
    const response = await this.client.request({ method, path: `auth/token/${path}`, body });
    return parseSecret(response.body);
  }

  create(request: TokenCreateRequest, role?: string): Promise<Secret | undefined> {
    return this.call('POST', role ? `create/${role}` : 'create', request);
  }

  lookupSelf(): Promise<Secret | undefined> {
    return this.call('GET', 'lookup-self');
  }

  lookup(token: string): Promise<Secret | undefined> {
    return this.call('POST', 'lookup', { token });
  }

  lookupAccessor(accessor: string): Promise<Secret | undefined> {
    return this.call('POST', 'lookup-accessor', { accessor });
  }

  renewSelf(increment: number): Promise<Secret | undefined> {
    return this.call('PUT', 'renew-self', { increment });
  }

  renew(token: string, increment: number): Promise<Secret | undefined> {
    return this.call('PUT', 'renew', { token, increment });
  }

  renewAccessor(accessor: string, increment: number): Promise<Secret | undefined> {
    return this.call('POST', 'renew-accessor', { accessor, increment });
  }

  async revokeSelf(): Promise<void> {
    await this.call('PUT', 'revoke-self');
  }

  /** Revokes the token and all its children. */
  async revokeTree(token: string): Promise<void> {
    await this.call('PUT', 'revoke', { token });
  }

  /** Revokes only the token; its children become orphans. */
  async revokeOrphan(token: string): Promise<void> {
    await this.call('PUT', 'revoke-orphan', { token });
  }

  async revokeAccessor(accessor: string): Promise<void> {
    await this.call('POST', 'revoke-accessor', { accessor });
  }
}
