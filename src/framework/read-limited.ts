/**
 * Collects a stream's bytes up to a limit: request bodies and the answers of JWKS and OIDC discovery
 * fetches, which had a reader each.
 */
import type { Readable } from 'node:stream';

/**
 * Resolves with everything the stream delivers. Past `limit` bytes the stream is destroyed and the
 * promise rejects with `tooLarge()`; a stream that closes before its end rejects too.
 */
export function readLimited(stream: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  if (stream.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.off('data', onData);
        stream.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    stream.once('error', reject);
    // After 'end' this is a no-op; before it, the peer went away mid-body.
    stream.once('close', () => reject(new Error('the stream closed before its end')));
  });
}
