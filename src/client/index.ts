/** Public surface of the client: the HTTP client, its errors, env resolution and the token helper. */
export {
  type ApiResponse,
  type QueryInput,
  type RequestOptions,
  VaultClient,
  type VaultClientOptions,
} from './client.js';
export { formatGoDuration, humanDuration, parseDurationSecond, parseGoDuration } from './duration.js';
export { configFromEnv, DEFAULT_ADDRESS, type EnvSettings, fromEnv } from './env.js';
export { ApiError, CurlStringError, TransportError } from './errors.js';
export { parseSecret, type Secret, type SecretAuth, type SecretWrapInfo } from './secret.js';
export type { InitRequest, InitResponse, MountConfigInput, MountInput, SealStatus } from './sys.js';
export type { TokenCreateRequest } from './token-api.js';
export { eraseTokenFile, readTokenFile, storeTokenFile, tokenFilePath } from './token-helper.js';
