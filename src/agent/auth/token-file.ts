/** `token_file` auto-auth: a token from a file, looked up (not logged in) to learn its TTL. */
import type { VaultClient } from '../../client/client.js';
import type { TokenFileSettings } from '../auth-config.js';
import { type AuthMethod, type LoginResult, readCredentialFile } from './method.js';

export class TokenFileMethod implements AuthMethod {
  private cachedToken: string | undefined;

  constructor(private readonly settings: TokenFileSettings) {}

  async login(client: VaultClient): Promise<LoginResult> {
    this.cachedToken = (await readCredentialFile(this.settings.tokenFilePath)) ?? this.cachedToken;
    if (!this.cachedToken) throw new Error('token file empty and no cached token known');
    const response = await client.request({
      method: 'GET',
      path: 'auth/token/lookup-self',
      token: this.cachedToken,
      wrapTtl: null,
    });
    const data = response.body?.data ?? {};
    return {
      token: this.cachedToken,
      leaseSeconds: Number(data.ttl) || 0,
      renewable: data.renewable === true,
    };
  }
}
