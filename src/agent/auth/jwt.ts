/**
 * `jwt` and `kubernetes` auto-auth: a JWT read from a file and sent with a role to `<mount>/login`.
 * The jwt method removes the file after reading (Vault's default) and keeps the last JWT for re-logins;
 * a Kubernetes service-account token is projected by the kubelet and read fresh every time.
 */
import { realpath, rm } from 'node:fs/promises';
import type { VaultClient } from '../../client/client.js';
import type { Logger } from '../../framework/log.js';
import type { JwtSettings, KubernetesSettings } from '../auth-config.js';
import { type AuthMethod, type LoginResult, loginAt, readCredentialFile } from './method.js';

export class JwtMethod implements AuthMethod {
  private cachedJwt: string | undefined;

  constructor(
    private readonly settings: JwtSettings,
    private readonly mountPath: string,
    private readonly log: Logger,
  ) {}

  async login(client: VaultClient): Promise<LoginResult> {
    const { path } = this.settings;
    const fromFile = await readCredentialFile(path);
    if (fromFile !== undefined) {
      this.cachedJwt = fromFile;
      if (this.settings.removeJwtAfterReading) await this.remove(path);
    }
    if (!this.cachedJwt) throw new Error('no known JWT: the JWT file is missing or empty');
    return loginAt(client, this.mountPath, { role: this.settings.role, jwt: this.cachedJwt });
  }

  private async remove(path: string): Promise<void> {
    try {
      await rm(this.settings.removeJwtFollowsSymlinks ? await realpath(path) : path, { force: true });
    } catch (error) {
      this.log.error('could not remove the JWT file after reading', {
        code: (error as NodeJS.ErrnoException).code,
      });
    }
  }
}

export class KubernetesMethod implements AuthMethod {
  constructor(
    private readonly settings: KubernetesSettings,
    private readonly mountPath: string,
  ) {}

  async login(client: VaultClient): Promise<LoginResult> {
    const jwt = await readCredentialFile(this.settings.tokenPath);
    if (!jwt) throw new Error('the service account token file is missing or empty');
    return loginAt(client, this.mountPath, { role: this.settings.role, jwt });
  }
}
