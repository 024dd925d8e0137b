/**
 * Vault's `seal "transit"`: the root and recovery keys are encrypted by another Vault's (or
 * Coffer's) transit engine, at `<mount_path>/encrypt/<key_name>`, with a token kept renewed.
 */
import type { Agent } from 'node:http';
import { inspect } from 'node:util';
import { createAgent, type RawResponse, send, type TlsOptions } from '../client/transport.js';
import type { Clock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';
import type { SealWrapper } from './seal.js';

/** The token, kept out of logs, JSON and inspection: only `reveal()` gives it, for the header. */
export class SealToken {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'SealToken [redacted]';
  }
}

export interface TransitSealConfig {
  address: string;
  token: SealToken;
  keyName: string;
  mountPath: string;
  tls: TlsOptions;
  disableRenewal: boolean;
}

/** A failure of the remote seal; its message names no token, key, address or plaintext. */
export class SealWrapperError extends Error {
  constructor(
    message: string,
    /** True when the remote answered and refused (4xx): retrying the same call will not help. */
    readonly refused: boolean,
  ) {
    super(message);
    this.name = 'SealWrapperError';
  }
}

const REQUEST_TIMEOUT_MS = 10_000;
/** A transit answer is a few hundred bytes; anything near this is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Renewal retries after a failure to reach the remote (Vault's renewer gives up; this one waits). */
const RENEW_RETRY_MS = 30_000;

export class TransitWrapper implements SealWrapper {
  readonly type = 'transit';
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly mount: string;
  private cancelRenewal?: () => void;
  private closed = false;

  constructor(
    private readonly config: TransitSealConfig,
    private readonly deps: { log: Logger; clock: Clock; timeoutMs?: number },
  ) {
    this.base = new URL(config.address.endsWith('/') ? config.address : `${config.address}/`);
    this.agent = createAgent(this.base.protocol === 'https:', config.tls);
    this.mount = config.mountPath.replace(/^\/+|\/+$/g, '');
  }

  /** Where the seal points, for log lines (never the token). */
  describe(): Record<string, string> {
    return { address: this.base.origin, mount_path: this.mount, key_name: this.config.keyName };
  }

  async encrypt(plaintext: Uint8Array): Promise<string> {
    const body = await this.call(
      'encrypt',
      `${this.mount}/encrypt/${encodeURIComponent(this.config.keyName)}`,
      {
        plaintext: Buffer.from(plaintext).toString('base64'),
      },
    );
    const ciphertext = (body.data as Record<string, unknown> | undefined)?.ciphertext;
    // Vault's check: "vault:v<N>:<data>", whose middle part is the key version.
    if (typeof ciphertext !== 'string' || ciphertext.split(':').length !== 3)
      throw new SealWrapperError('transit seal: invalid ciphertext returned', false);
    return ciphertext;
  }

  async decrypt(ciphertext: string): Promise<Uint8Array> {
    const body = await this.call(
      'decrypt',
      `${this.mount}/decrypt/${encodeURIComponent(this.config.keyName)}`,
      {
        ciphertext,
      },
    );
    const plaintext = (body.data as Record<string, unknown> | undefined)?.plaintext;
    if (typeof plaintext !== 'string')
      throw new SealWrapperError('transit seal: invalid plaintext returned', false);
    return Buffer.from(plaintext, 'base64');
  }

  /** As Vault: renew the token at once and keep renewing it, unless `disable_renewal`. */
  startRenewal(): void {
    if (this.config.disableRenewal || this.closed) return;
    void this.renew();
  }

  close(): void {
    this.closed = true;
    this.cancelRenewal?.();
    this.cancelRenewal = undefined;
    this.agent.destroy();
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.cancelRenewal = this.deps.clock.setTimer(ms, () => void this.renew());
  }

  private async renew(): Promise<void> {
    const log = this.deps.log;
    let body: Record<string, unknown>;
    try {
      body = await this.call('renew-self', 'auth/token/renew-self', { increment: 0 });
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof SealWrapperError && error.refused) {
        log.warn('unable to renew the transit seal token, disabling renewal', { error: message });
        return;
      }
      log.warn('renewing the transit seal token failed; retrying', { error: message });
      this.schedule(RENEW_RETRY_MS);
      return;
    }
    const auth = body.auth as { renewable?: unknown; lease_duration?: unknown } | undefined;
    const lease = typeof auth?.lease_duration === 'number' ? auth.lease_duration : 0;
    if (auth?.renewable !== true || lease <= 0) {
      log.info('the transit seal token does not expire or cannot be renewed; renewal stopped');
      return;
    }
    log.debug('renewed the transit seal token', { lease_duration: lease });
    // Like Vault's lifetime watcher: renew once two thirds of the lease have gone.
    this.schedule(Math.max(1000, Math.floor((lease * 1000 * 2) / 3)));
  }

  private async call(what: string, path: string, payload: unknown): Promise<Record<string, unknown>> {
    let response: RawResponse;
    const timeoutMs = this.deps.timeoutMs ?? REQUEST_TIMEOUT_MS;
    try {
      response = await send(
        this.agent,
        new URL(`v1/${path}`, this.base),
        'POST',
        { 'X-Vault-Token': this.config.token.reveal(), 'Content-Type': 'application/json' },
        JSON.stringify(payload),
        timeoutMs,
        // The whole exchange and its size bounded: a remote trickling bytes or streaming without end
        // would otherwise hold the core's transitions (unseal, seal, stop) behind this call for ever.
        { deadlineMs: timeoutMs, maxBytes: MAX_RESPONSE_BYTES },
      );
    } catch (error) {
      // The code only (ECONNREFUSED, a TLS failure): messages can carry addresses.
      const code = (error as NodeJS.ErrnoException).code ?? 'connection failed';
      throw new SealWrapperError(`transit seal: the transit server could not be reached (${code})`, false);
    }
    let body: Record<string, unknown> = {};
    try {
      body = response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {};
    } catch {
      // A proxy's HTML error page: the status says enough.
    }
    if (response.status >= 400) {
      const errors = Array.isArray(body.errors) ? body.errors.filter((e) => typeof e === 'string') : [];
      // One line: a Vault multi-error ("2 errors occurred:\n\t* …") is flattened.
      const reason =
        errors.length > 0 ? `: ${errors.join('; ').replace(/\s+/g, ' ').trim().slice(0, 200)}` : '';
      throw new SealWrapperError(
        `transit seal: ${what} was refused (HTTP ${response.status})${reason}`,
        response.status < 500 && response.status !== 429,
      );
    }
    return body;
  }
}
