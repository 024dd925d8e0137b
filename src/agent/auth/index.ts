/** The auto-auth method for a parsed `method` block. */
import type { Logger } from '../../framework/log.js';
import type { MethodConfig } from '../auth-config.js';
import { AppRoleMethod } from './approle.js';
import { JwtMethod, KubernetesMethod } from './jwt.js';
import type { AuthMethod } from './method.js';
import { TokenFileMethod } from './token-file.js';

export type { AuthMethod, LoginResult } from './method.js';

export function createAuthMethod(config: MethodConfig, log: Logger): AuthMethod {
  const { settings, mountPath } = config;
  switch (settings.type) {
    case 'approle':
      return new AppRoleMethod(settings, mountPath, log);
    case 'token_file':
      return new TokenFileMethod(settings);
    case 'jwt':
      return new JwtMethod(settings, mountPath, log);
    case 'kubernetes':
      return new KubernetesMethod(settings, mountPath);
  }
}
