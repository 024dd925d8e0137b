/** Polls `check` every `intervalMs` until it holds; fails naming `what` after `timeoutMs`. Resolves to the ms it took. */
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
  return Date.now() - started;
}
