/** A template's command: bounded by its timeout, with everything it started. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './command.js';

/** Running: a zombie (killed, its parent gone, not reaped yet in a container) counts as ended. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('a command that times out is killed with what it started in the background', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-command-'));
  const pidFile = join(dir, 'pid');
  try {
    const result = await runCommand(['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], 500);
    assert.equal(result.timedOut, true);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    for (let i = 0; i < 20 && alive(pid); i++) await sleep(50);
    const survived = alive(pid);
    if (survived) process.kill(pid, 'SIGKILL');
    assert.equal(survived, false, 'the background sleep was killed too');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
