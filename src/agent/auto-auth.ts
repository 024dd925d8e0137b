/**
 * The auto-auth loop: log in (backing off on failure), publish the token and write it to the sinks,
 * keep it renewed, and log in again when the lifetime watcher says so.
 */
import type { VaultClient } from '../client/client.js';
import type { Logger } from '../framework/log.js';
import { type AuthMethod, createAuthMethod, type LoginResult } from './auth/index.js';
import type { AutoAuthConfig } from './auth-config.js';
import { Backoff, sleep } from './backoff.js';
import { describeFailure } from './failure.js';
import { type TokenLifetime, watchLifetime } from './lifetime.js';
import { SinkWriter } from './sink/sink-writer.js';
import type { AutoAuthTokens } from './token-store.js';

export interface AutoAuthDeps {
  config: AutoAuthConfig;
  /** A client for the server that carries no token of its own; one per call is fine. */
  client: () => VaultClient;
  tokens: AutoAuthTokens;
  log: Logger;
  signal: AbortSignal;
  /** Called once the first token is published and written to every sink. */
  onFirstAuth?: () => void;
  random?: () => number;
}

/** `exit_on_err`: a login failure ends the agent. The message is the failure's, which holds no secret. */
export class AutoAuthError extends Error {
  override readonly name = 'AutoAuthError';
}

/** Runs until the signal aborts; rejects with AutoAuthError when `exit_on_err` is set and a login fails. */
export async function runAutoAuth(deps: AutoAuthDeps): Promise<void> {
  const { config, log, signal } = deps;
  const method = createAuthMethod(config.method, log.child('method'));
  const backoff = new Backoff(config.method.minBackoffMs, config.method.maxBackoffMs, deps.random);
  const sinks = new SinkWriter(config.sinks, { client: deps.client, log, signal });
  let announced = false;
  while (!signal.aborted) {
    const login = await tryLogin(method, deps);
    if (signal.aborted) return;
    if (!login) {
      const wait = backoff.next();
      log.info('backing off before the next login attempt', { backoff_ms: wait });
      await sleep(wait, signal);
      continue;
    }
    backoff.reset();
    deps.tokens.publish(login.token);
    const { allWritten } = await sinks.write(login.token);
    log.info('authentication successful, token published', {
      ttl_seconds: login.leaseSeconds,
      renewable: login.renewable,
    });
    // Vault's exit_after_auth counts a login as done once every sink holds its token.
    void allWritten.then((written) => {
      if (written && !announced) {
        announced = true;
        deps.onFirstAuth?.();
      }
    });
    const end = await watchLifetime({
      initial: login,
      renew: () => renewSelf(deps.client(), login.token),
      signal,
      random: deps.random,
      onRenewed: (lifetime) => log.debug('token renewed', { ttl_seconds: lifetime.leaseSeconds }),
      onRenewalError: (error) => log.warn('renewing the token failed', { error: describeFailure(error) }),
    });
    if (end !== 'stopped') log.info('re-authenticating', { reason: end });
  }
}

async function tryLogin(method: AuthMethod, deps: AutoAuthDeps): Promise<LoginResult | undefined> {
  const client = deps.client();
  try {
    return await method.login(client);
  } catch (error) {
    const message = describeFailure(error);
    deps.log.error('authentication failed', { error: message });
    if (deps.config.method.exitOnErr) throw new AutoAuthError(`authentication failed: ${message}`);
    return undefined;
  } finally {
    client.close();
  }
}

async function renewSelf(client: VaultClient, token: string): Promise<TokenLifetime> {
  try {
    // As Vault's RenewTokenAsSelf sends it: increment 0 asks for the token's own TTL again.
    const response = await client.request({
      method: 'PUT',
      path: 'auth/token/renew-self',
      body: { increment: 0 },
      token,
      wrapTtl: null,
    });
    const auth = response.body?.auth;
    if (!auth) throw new Error('the renewal carried no auth data');
    return { leaseSeconds: Number(auth.lease_duration) || 0, renewable: auth.renewable === true };
  } finally {
    client.close();
  }
}
