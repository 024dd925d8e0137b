/**
 * Ceilings measured in the same run: a bare node:http server, fdatasync, the store's own insert rate,
 * the password KDF, raw EC P-256 keygen plus certificate signing, and PostgreSQL's CREATE ROLE.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ request_id: '00000000-0000-0000-0000-000000000000', data: { value: 'x'.repeat(24) } });
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}).listen(0, '127.0.0.1', function () { process.stdout.write('PORT ' + this.address().port + '\\n'); });
`;

/**
 * A Node.js server process pinned by `pin` (node `args`, extra `env`) that prints `PORT n` once it
 * listens on 127.0.0.1: bare-http, and the floors' server (bench/floors.ts).
 */
export async function startPortServer(
  label: string,
  pin: string[],
  args: string[],
  env?: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    pin[0] ?? process.execPath,
    [...pin.slice(1), ...(pin.length ? [process.execPath] : []), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error(`${label} server exited`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

export const startBareHttp = (pin: string[]) => startPortServer('bare-http', pin, ['-e', BARE_SERVER]);

/** fdatasync after each ~300-byte append, for `seconds`. */
export function rawFsync(seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
  const fd = openSync(join(dir, 'log'), 'a');
  const line = Buffer.alloc(300, 'x');
  const end = Date.now() + seconds * 1000;
  let count = 0;
  while (Date.now() < end) {
    writeSync(fd, line);
    fdatasyncSync(fd);
    count++;
  }
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}

/** SQLite WAL, synchronous=FULL, one row per transaction: what one durable write costs the store. */
export function rawStore(seconds: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB)');
  const insert = db.prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
  const value = Buffer.alloc(300, 1);
  const end = Date.now() + seconds * 1000;
  let count = 0;
  while (Date.now() < end) insert.run(`key/${count++}`, value);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}

/** Runs a baseline script (`bench/<script>`) pinned like the server and reads the rate it prints after `label`. */
function scriptRate(script: string, label: string, seconds: number, pin: string[]): number {
  const path = new URL(`./${script}`, import.meta.url).pathname;
  const child = spawnSync(
    pin[0] ?? process.execPath,
    [...pin.slice(1), ...(pin.length ? [process.execPath] : []), '--import', 'tsx', path, String(seconds)],
    { encoding: 'utf8' },
  );
  const match = new RegExp(`${label} ([\\d.]+)`).exec(child.stdout ?? '');
  if (!match) throw new Error(`${script} baseline failed: ${child.stderr}`);
  return Number(match[1]);
}

/** Password verifications per second on the server's core (bench/kdf.ts, the userpass hasher and cost). */
export const kdfRate = (seconds: number, pin: string[]) => scriptRate('kdf.ts', 'KDF', seconds, pin);

/** Raw EC P-256 keygen + certificate signature per second on the server's core (bench/pki-sign.ts). */
export const pkiSignRate = (seconds: number, pin: string[]) => scriptRate('pki-sign.ts', 'PKI', seconds, pin);

/** PostgreSQL's own CREATE ROLE + DROP ROLE rate over 10 connections: the ceiling for `pg-creds`. */
export async function pgCreateRole(seconds: number, url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  try {
    const end = Date.now() + seconds * 1000;
    let count = 0;
    const worker = async (w: number) => {
      for (let i = 0; Date.now() < end; i++) {
        const name = `bench_baseline_${process.pid}_${w}_${i}`;
        const until = new Date(Date.now() + 3600_000).toISOString();
        await pool.query(`CREATE ROLE "${name}" WITH LOGIN PASSWORD 'Bench-Pw-1' VALID UNTIL '${until}'`);
        await pool.query(`DROP ROLE "${name}"`);
        count++;
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, w) => worker(w)));
    return count / ((Date.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}
