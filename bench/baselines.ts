/** Ceilings measured in the same run: a bare node:http server, fdatasync, and the store's own insert rate. */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ request_id: '00000000-0000-0000-0000-000000000000', data: { value: 'x'.repeat(24) } });
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}).listen(0, '127.0.0.1', function () { process.stdout.write('PORT ' + this.address().port + '\\n'); });
`;

export async function startBareHttp(pin: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    pin[0] ?? process.execPath,
    [...pin.slice(1), ...(pin.length ? [process.execPath] : []), '-e', BARE_SERVER],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error('bare-http server exited')));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

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
