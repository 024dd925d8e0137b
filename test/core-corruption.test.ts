/**
 * G4: a corrupted core entry (the keyring, the root key, the seal configuration, a mount table) in the
 * sqlite store of a stopped server. On restart the unseal fails with an error naming the entry, no
 * stored byte changes, and the server stays sealed: KV answers 503, never data or a 500.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { splitKey } from '../src/storage/key-split.js';
import {
  type ApiResult,
  removeServerDir,
  restartOnSameStorage,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

const SECRET = 'g4-canary-value-0c1f7e';

let pristine: TestServer;
const dirs: string[] = [];

before(async () => {
  pristine = await startTestServer({ storage: 'sqlite' });
  const token = pristine.rootToken;
  const mount = await pristine.api('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, token);
  assert.equal(mount.status, 204, mount.text);
  const auth = await pristine.api('POST', 'sys/auth/userpass', { type: 'userpass' }, token);
  assert.equal(auth.status, 204, auth.text);
  const write = await pristine.api('POST', 'kv/data/app', { data: { password: SECRET } }, token);
  assert.equal(write.status, 200, write.text);
  // Closing the store checkpoints its WAL: every entry is in coffer.db once the process is gone.
  await pristine.stop();
});

after(async () => {
  if (pristine) await removeServerDir(pristine);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

type Row = { parent: Buffer; name: Buffer; value: Buffer };

/** Every stored row, in key order: the whole store, to show that a failed unseal wrote nothing. */
function dump(dbPath: string): Row[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT parent, name, value FROM entries ORDER BY parent, name').all() as Row[];
  } finally {
    db.close();
  }
}

/** Replaces the stored value of a physical key with `damage(old value)`. */
function corrupt(dbPath: string, key: string, damage: (value: Buffer) => Buffer): void {
  const db = new Database(dbPath);
  try {
    const { parent, name } = splitKey(key);
    const old = db
      .prepare('SELECT value FROM entries WHERE parent = ? AND name = ?')
      .pluck()
      .get(parent, name);
    assert.ok(Buffer.isBuffer(old), `${key} is stored`);
    const changed = db
      .prepare('UPDATE entries SET value = ? WHERE parent = ? AND name = ?')
      .run(damage(Buffer.from(old)), parent, name);
    assert.equal(changed.changes, 1);
  } finally {
    db.close();
  }
}

/** One ciphertext byte flipped in the middle: the entry keeps its format, its GCM tag no longer matches. */
const flipByte = (value: Buffer) => {
  const out = Buffer.from(value);
  out[Math.floor(out.length / 2)] ^= 0x41;
  return out;
};
/** Shorter than an entry's header and tag: fails the format check before any decryption. */
const truncate = (value: Buffer) => value.subarray(0, 10);

interface Case {
  name: string;
  key: string;
  damage: (value: Buffer) => Buffer;
  /** The seal configuration itself is damaged: even the status cannot be read, so it is a 500 naming it. */
  configBroken?: boolean;
}

const cases: Case[] = [
  { name: 'keyring, a flipped byte', key: 'core/keyring', damage: flipByte },
  { name: 'keyring, truncated', key: 'core/keyring', damage: truncate },
  { name: 'root key, a flipped byte', key: 'core/root-key', damage: flipByte },
  { name: 'root key, truncated', key: 'core/root-key', damage: truncate },
  {
    name: 'seal config, not JSON',
    key: 'core/seal-config',
    damage: (value) => value.subarray(0, value.length - 7),
    configBroken: true,
  },
  {
    name: 'seal config, threshold 0',
    key: 'core/seal-config',
    damage: () => Buffer.from(JSON.stringify({ type: 'shamir', secret_shares: 3, secret_threshold: 0 })),
    configBroken: true,
  },
  { name: 'secrets mount table, a flipped byte', key: 'core/mounts', damage: flipByte },
  { name: 'auth mount table, truncated', key: 'core/auth', damage: truncate },
];

/** The texts that must never appear in an error: the unseal keys (hex and base64), the root token, the secret. */
function secretsOf(server: Pick<TestServer, 'unsealKeys' | 'rootToken'>): string[] {
  const keys = server.unsealKeys.flatMap((hex) => [hex, Buffer.from(hex, 'hex').toString('base64')]);
  return [...keys, server.rootToken, SECRET];
}

function assertNoSecret(res: ApiResult, secrets: string[], what: string): void {
  for (const secret of secrets)
    assert.ok(!res.text.includes(secret), `${what} leaks secret material: ${res.text}`);
}

/** Submits every unseal key once; returns each answer. The server must never report itself unsealed. */
async function unsealAttempt(server: TestServer, key: string): Promise<ApiResult[]> {
  const answers: ApiResult[] = [];
  for (const share of server.unsealKeys) {
    const res = await server.api('PUT', 'sys/unseal', { key: share });
    answers.push(res);
    assert.notEqual(res.body?.sealed, false, `corrupt ${key}: the server unsealed: ${res.text}`);
  }
  return answers;
}

for (const c of cases) {
  test(`corrupt ${c.name}: unseal fails naming ${c.key}, nothing is written, the server stays sealed`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-g4-'));
    dirs.push(dir);
    const dbPath = join(dir, 'coffer.db');
    await copyFile(join(pristine.dir, 'coffer.db'), dbPath);
    corrupt(dbPath, c.key, c.damage);
    const stored = dump(dbPath);

    const server = await restartOnSameStorage({
      dir,
      rootToken: pristine.rootToken,
      unsealKeys: pristine.unsealKeys,
    });
    const secrets = secretsOf(server);
    try {
      const status = await server.api('GET', 'sys/seal-status');
      if (c.configBroken) {
        assert.equal(status.status, 500, status.text);
        assert.match(status.body.errors.join('\n'), new RegExp(c.key));
      } else {
        assert.equal(status.status, 200, status.text);
        assert.equal(status.body.sealed, true);
      }

      // Twice: a failed attempt leaves nothing half-built that a second one could get past.
      for (const attempt of [1, 2]) {
        const answers = await unsealAttempt(server, c.key);
        const failures = answers.filter((res) => res.status >= 400);
        assert.ok(failures.length > 0, `attempt ${attempt}: no unseal answer failed`);
        for (const res of failures) {
          assert.ok(
            res.status === 400 || res.status === 500,
            `attempt ${attempt}: ${res.status} ${res.text}`,
          );
          assert.match(
            (res.body?.errors ?? []).join('\n'),
            new RegExp(c.key),
            `attempt ${attempt}: the error names the entry`,
          );
          assertNoSecret(res, secrets, 'the unseal error');
        }
      }

      // The server refuses to serve: sealed everywhere, no secret, no 500 from a mount.
      for (const path of ['kv/data/app', 'sys/mounts', 'auth/token/lookup-self', 'cubbyhole/x']) {
        const res = await server.api('GET', path, undefined, server.rootToken);
        assert.equal(res.status, 503, `GET ${path}: ${res.text}`);
        assertNoSecret(res, secrets, `GET ${path}`);
      }
      const health = await server.api('GET', 'sys/health');
      assert.equal(health.status, c.configBroken ? 500 : 503, health.text);
      if (!c.configBroken) assert.equal(health.body.sealed, true);

      assert.equal(server.process.exitCode, null, 'the server is still running');
      assert.doesNotMatch(server.output(), /Unhandled|TypeError|SyntaxError|\n\s+at /, 'no crash or stack');
    } finally {
      await server.stop();
    }
    // Nothing was overwritten, the corrupt entry included: not a byte of the store changed.
    assert.deepEqual(dump(dbPath), stored);
  });
}

test('control: the uncorrupted copy unseals and serves the secret', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-g4-'));
  dirs.push(dir);
  await copyFile(join(pristine.dir, 'coffer.db'), join(dir, 'coffer.db'));
  const server = await restartOnSameStorage({
    dir,
    rootToken: pristine.rootToken,
    unsealKeys: pristine.unsealKeys,
  });
  try {
    await server.unseal();
    const res = await server.api('GET', 'kv/data/app', undefined, server.rootToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.data.password, SECRET);
  } finally {
    await server.stop();
  }
});
