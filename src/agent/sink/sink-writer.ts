/**
 * Writes each new token to every sink. A sink that cannot be written is retried in the background
 * with backoff (1 s doubling to 1 m), as Vault's sink server does, until it succeeds, a newer token
 * replaces the one it was writing, or the agent stops.
 */
import type { VaultClient } from '../../client/client.js';
import type { Logger } from '../../framework/log.js';
import type { FileSinkConfig } from '../auth-config.js';
import { Backoff, sleep } from '../backoff.js';
import { describeFailure } from '../failure.js';
import { writeSinkFile } from './file-sink.js';

export interface SinkWriterDeps {
  client: () => VaultClient;
  log: Logger;
  signal: AbortSignal;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

export class SinkWriter {
  private generation = 0;

  constructor(
    private readonly sinks: FileSinkConfig[],
    private readonly deps: SinkWriterDeps,
  ) {}

  /**
   * Starts writing `token` everywhere. Resolves after every sink's first attempt, with a promise
   * that resolves to true once every sink holds this token (false if it was superseded or stopped).
   */
  async write(token: string): Promise<{ allWritten: Promise<boolean> }> {
    ++this.generation;
    const attempts = this.sinks.map((sink) => this.writeOne(sink, token));
    const first = await Promise.all(attempts.map((a) => a.first));
    const retries = attempts.map((attempt, i) => (first[i] ? Promise.resolve(true) : attempt.retried()));
    return { allWritten: Promise.all(retries).then((results) => results.every(Boolean)) };
  }

  private writeOne(sink: FileSinkConfig, token: string) {
    const generation = this.generation;
    const first = this.tryWrite(sink, token);
    const retried = async (): Promise<boolean> => {
      const backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
      while (generation === this.generation && !this.deps.signal.aborted) {
        if (!(await sleep(backoff.next(), this.deps.signal))) return false;
        if (generation !== this.generation) return false;
        if (await this.tryWrite(sink, token)) return true;
      }
      return false;
    };
    return { first, retried };
  }

  private async tryWrite(sink: FileSinkConfig, token: string): Promise<boolean> {
    try {
      const content = sink.wrapTtl ? await wrapToken(this.deps.client(), token, sink.wrapTtl) : token;
      await writeSinkFile(sink.path, content, sink.mode);
      this.deps.log.info('token written', { path: sink.path });
      return true;
    } catch (error) {
      this.deps.log.error('writing the token to a sink failed; retrying', {
        path: sink.path,
        error: describeFailure(error),
      });
      return false;
    }
  }
}

/** `wrap_ttl` on a sink: the sink gets the wrap info as JSON, as Vault writes it, not the token. */
async function wrapToken(client: VaultClient, token: string, wrapTtl: string): Promise<string> {
  try {
    const response = await client.request({
      method: 'PUT',
      path: 'sys/wrapping/wrap',
      body: { token },
      token,
      wrapTtl,
    });
    const wrapInfo = response.body?.wrap_info;
    if (!wrapInfo?.token) throw new Error('the server did not wrap the token');
    return JSON.stringify(wrapInfo);
  } finally {
    client.close();
  }
}
