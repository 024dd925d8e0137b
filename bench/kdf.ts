/**
 * The `kdf` baseline, run as its own process pinned to the server's core: password verifications per
 * second with the userpass method's own hasher and cost (src/auth/userpass), four in flight; the
 * hasher runs as many at once as the server would, on its own worker threads (one on this one core).
 * Prints `KDF <rate>`. Usage: `node --import tsx bench/kdf.ts SECONDS`.
 */
import { createScryptHasher } from '../src/auth/userpass/password-hash.js';

const seconds = Number(process.argv[2] ?? 3);
const threads = 4;
const hasher = createScryptHasher();
const stored = await hasher.hash('bench-password');
await hasher.verify('bench-password', stored); // warm-up
let count = 0;
const end = performance.now() + seconds * 1000;
const worker = async () => {
  while (performance.now() < end) {
    if (!(await hasher.verify('bench-password', stored))) throw new Error('kdf verify failed');
    count++;
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: threads }, worker));
process.stdout.write(`KDF ${count / ((performance.now() - started) / 1000)}\n`);
