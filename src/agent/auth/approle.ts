/**
 * AppRole auto-auth, as Vault Agent's: the role ID and secret ID come from files; the secret ID file
 * is removed after reading unless told otherwise, and what was read is kept in memory for re-logins.
 * With `secret_id_response_wrapping_path`, the file holds a wrapping token that is unwrapped once,
 * after checking that it was created where the config says.
 */

import { rm } from 'node:fs/promises';
import type { VaultClient } from '../../client/client.js';
import type { Logger } from '../../framework/log.js';
import type { AppRoleSettings } from '../auth-config.js';
import { type AuthMethod, type LoginResult, loginAt, readCredentialFile } from './method.js';

export class AppRoleMethod implements AuthMethod {
  private cachedRoleId: string | undefined;
  private cachedSecretId: string | undefined;

  constructor(
    private readonly settings: AppRoleSettings,
    private readonly mountPath: string,
    private readonly log: Logger,
  ) {}

  async login(client: VaultClient): Promise<LoginResult> {
    this.cachedRoleId = (await readCredentialFile(this.settings.roleIdFilePath)) ?? this.cachedRoleId;
    if (!this.cachedRoleId) throw new Error('no known role ID: role_id_file_path is missing or empty');
    if (!this.settings.secretIdFilePath)
      return loginAt(client, this.mountPath, { role_id: this.cachedRoleId });
    await this.readSecretId(client, this.settings.secretIdFilePath);
    if (!this.cachedSecretId) throw new Error('no known secret ID: secret_id_file_path is missing or empty');
    return loginAt(client, this.mountPath, { role_id: this.cachedRoleId, secret_id: this.cachedSecretId });
  }

  private async readSecretId(client: VaultClient, path: string): Promise<void> {
    const fromFile = await readCredentialFile(path);
    if (fromFile === undefined) return;
    this.cachedSecretId = this.settings.secretIdResponseWrappingPath
      ? await this.unwrapSecretId(client, fromFile, this.settings.secretIdResponseWrappingPath)
      : fromFile;
    if (this.settings.removeSecretIdFileAfterReading) {
      await rm(path, { force: true }).catch((error: NodeJS.ErrnoException) =>
        this.log.error('could not remove the secret ID file after reading', { code: error.code }),
      );
    }
  }

  private async unwrapSecretId(
    client: VaultClient,
    wrappingToken: string,
    expectedPath: string,
  ): Promise<string> {
    const lookup = await client.request({
      method: 'PUT',
      path: 'sys/wrapping/lookup',
      body: { token: wrappingToken },
      token: null,
      wrapTtl: null,
    });
    const creationPath = String(lookup.body?.data?.creation_path ?? '').replace(/^\/+|\/+$/g, '');
    if (creationPath !== expectedPath) {
      // Vault logs this under SECURITY too: someone may have swapped in a token wrapping something else.
      this.log.error('SECURITY: unable to validate wrapping token creation path', {
        expected: expectedPath,
        found: creationPath,
      });
      throw new Error('unable to validate wrapping token creation path');
    }
    const unwrapped = await client.unwrap(wrappingToken);
    const secretId = unwrapped?.data?.secret_id;
    if (typeof secretId !== 'string' || secretId === '')
      throw new Error('the unwrapped response carried no secret_id');
    return secretId;
  }
}
