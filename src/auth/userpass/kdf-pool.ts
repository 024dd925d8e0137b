/**
 * Password hashes (scrypt, ~150 ms of CPU each) run on worker threads of their own at nice 10, not on
 * libuv's thread pool.
 *
 * On the pool they ran at the event loop's priority. Where the server has one core (the benchmark
 * pins it to one), a hash then keeps the core after a request arrives until the scheduler's next tick:
 * kv2-read's p99 during logins was 4.5-5.4 ms against 3.1-3.7 alone in quick runs. At nice 10 the
 * waking event loop takes the core at once: 2.3-2.7 ms in the same runs, with the login rate
 * unchanged (0.99-1.04 x the KDF's own rate), since an idle loop leaves the hash the whole core. Under
 * full API load a hash gets about a tenth of the core (weight 110 against 1,024) instead of half: logins
 * slow down before reads do. The pool's threads also stay free for file syncs, which used to queue
 * behind hashes.
 */
import type { ScryptOptions } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { internal } from '../../core/errors.js';
import { startModuleWorker } from '../../framework/module-worker.js';
import type { KdfReply, KdfRequest } from './kdf-worker.js';

interface Job {
  request: KdfRequest;
  resolve: (key: Buffer) => void;
  reject: (error: Error) => void;
}

interface Runner {
  worker: Worker;
  job?: Job;
}

export class KdfPool {
  private readonly runners: Runner[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;

  /** `size`: hashes at once, each on its own thread. */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error('kdf pool: size must be a positive integer');
  }

  scrypt(password: string, salt: Uint8Array, keyLength: number, options: ScryptOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const request = { id: ++this.nextId, password, salt, keyLength, options };
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends every thread; hashes in flight or queued fail. The next hash starts threads again. */
  async close(): Promise<void> {
    const runners = this.runners.splice(0);
    for (const job of this.queue.splice(0)) job.reject(internal('the password hasher stopped'));
    await Promise.all(runners.map((runner) => runner.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let runner = this.runners.find((candidate) => !candidate.job);
      if (!runner) {
        if (this.runners.length >= this.size) return;
        runner = this.start();
      }
      const job = this.queue.shift()!;
      runner.job = job;
      runner.worker.ref(); // a hash in flight keeps the process alive
      runner.worker.postMessage(job.request);
    }
  }

  private start(): Runner {
    const worker = startModuleWorker(import.meta.url, 'kdf-worker');
    const runner: Runner = { worker };
    worker.on('message', (reply: KdfReply) => {
      const job = runner.job;
      if (!job || job.request.id !== reply.id) return;
      runner.job = undefined;
      worker.unref(); // idle threads never hold the process open
      if (reply.ok) job.resolve(Buffer.from(reply.key.buffer, reply.key.byteOffset, reply.key.byteLength));
      else job.reject(internal(`password hashing failed: ${reply.message}`));
      this.dispatch();
    });
    const gone = () => {
      const at = this.runners.indexOf(runner);
      if (at !== -1) this.runners.splice(at, 1);
      runner.job?.reject(internal('the password hasher stopped'));
      runner.job = undefined;
      this.dispatch();
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    worker.unref(); // after the listeners: adding a 'message' listener refs the port again
    this.runners.push(runner);
    return runner;
  }
}
