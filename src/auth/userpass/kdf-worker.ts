/**
 * The worker thread that derives scrypt keys for the KDF pool (kdf-pool.ts), one at a time, at a
 * lower CPU priority than the event loop's thread (see kdf-pool.ts for why).
 */
import { type ScryptOptions, scryptSync } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, parentPort } from 'node:worker_threads';

/** Nice 10: the scheduler's weight of 110 against the event loop's 1,024 (see kdf-pool.ts). */
export const KDF_NICE = 10;

export interface KdfRequest {
  id: number;
  password: string;
  salt: Uint8Array;
  keyLength: number;
  options: ScryptOptions;
}

export type KdfReply = { id: number; ok: true; key: Uint8Array } | { id: number; ok: false; message: string };

/**
 * Linux keeps a nice value per thread, and /proc/thread-self names this thread's id. Elsewhere the
 * hashes run at the process's own priority, as they did on the libuv pool.
 */
function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, KDF_NICE);
  } catch {
    // not Linux, or no /proc: keep the inherited priority
  }
}

// Only as a worker: importing this module for its types or constant must not lower the importer.
if (!isMainThread) lowerThisThreadsPriority();
parentPort?.on('message', (request: KdfRequest) => {
  let reply: KdfReply;
  try {
    const key = scryptSync(request.password, request.salt, request.keyLength, request.options);
    reply = { id: request.id, ok: true, key };
  } catch (error) {
    // scrypt's errors name a parameter or the memory limit, never the password.
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : 'scrypt failed' };
  }
  parentPort?.postMessage(reply);
});
