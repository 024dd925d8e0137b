/**
 * The least a node:http server can do for a durable write or a database credential, with none of
 * Coffer's own work (no token, ACL, barrier or store): what bench/floors.ts measures, pinned to the
 * server's core, to tell how much room a write row's target leaves Coffer on this machine.
 *   COFFER_FLOOR_TARGET=TARGET node --import tsx bench/floor-server.ts MODE [PREFIX]
 * (TARGET in the environment: a PostgreSQL URL may hold a password, and a command line is public.)
 * MODE `fsync`: each request's body is appended to the file TARGET and fdatasync'd through libuv's
 * thread pool, as Coffer's store syncs its WAL, before the answer (kv2-write@1's floor).
 * MODE `group-fsync`: the same, but the requests of one event-loop turn share one append and one
 * sync, as Coffer's group commit does (kv2-write@64's floor).
 * MODE `pg-creds`: a GET creates a PostgreSQL role at TARGET (a connection URL), named PREFIX (required)
 * and random hex, and a PUT revokes the role its body names (quoted as the plugin quotes it), each with the statements Coffer's plugin
 * sends (pg-creds' floor).
 * Prints `PORT n` once listening.
 */
import { randomBytes } from 'node:crypto';
import { fdatasync, openSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import {
  END_SESSIONS,
  ROLE_GRANTS,
  type RoleGrants,
  revocationStatements,
} from '../src/engines/database/plugins/postgresql.js';
import { formatSqlExpiration } from '../src/engines/database/plugins/statements.js';

// The bare-http baseline's answer, so a floor and bare-http differ only in the work between.
const ANSWER = JSON.stringify({
  request_id: '00000000-0000-0000-0000-000000000000',
  data: { value: 'x'.repeat(24) },
});

function answer(res: ServerResponse, status = 200, text = ANSWER): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: ServerResponse, error: unknown): void {
  process.stderr.write(`floor-server: ${error instanceof Error ? error.message : String(error)}\n`);
  answer(res, 500, '{"errors":["floor server failed"]}');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

function syncEach(path: string): Handler {
  const fd = openSync(path, 'a', 0o600);
  return (_req, res, body) => {
    writeSync(fd, body);
    fdatasync(fd, (error) => (error ? fail(res, error) : answer(res)));
  };
}

function syncEachTurn(path: string): Handler {
  const fd = openSync(path, 'a', 0o600);
  let turn: { body: Buffer; res: ServerResponse }[] = [];
  const commit = () => {
    const batch = turn;
    turn = [];
    writeSync(fd, Buffer.concat(batch.map((write) => write.body)));
    fdatasync(fd, (error) => {
      for (const { res } of batch) error ? fail(res, error) : answer(res);
    });
  };
  return (_req, res, body) => {
    // Coffer parses every write's JSON body; so does its floor.
    JSON.parse(body.toString('utf8'));
    turn.push({ body, res });
    if (turn.length === 1) setImmediate(commit);
  };
}

/** Issue and revoke as Coffer's PostgreSQL plugin does: a creation transaction in one round trip; the role's grants, its revocation transaction, then its open sessions ended. */
function credentials(url: string, prefix?: string): Handler {
  if (!prefix) throw new Error('pg-creds needs a PREFIX for its role names');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const oneRoundTrip = (statements: string[]) => pool.query(['BEGIN', ...statements, 'COMMIT'].join('\n;\n'));
  const issue = async () => {
    const name = `${prefix}${randomBytes(8).toString('hex')}`;
    const password = randomBytes(15).toString('base64url');
    const until = formatSqlExpiration(new Date(Date.now() + 3_600_000));
    await oneRoundTrip([
      `CREATE ROLE ${pg.escapeIdentifier(name)} WITH LOGIN PASSWORD '${password}' VALID UNTIL '${until}'`,
    ]);
    return JSON.stringify({ lease_id: name });
  };
  const revoke = async (name: string) => {
    const found = await pool.query<RoleGrants>({ name: 'floor-grants', text: ROLE_GRANTS, values: [name] });
    if (found.rowCount === 0) throw new Error('no such role');
    await oneRoundTrip([
      ...revocationStatements(name, found.rows[0]),
      `DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`,
    ]);
    await pool.query({ name: 'floor-end-sessions', text: END_SESSIONS, values: [found.rows[0].oid] });
  };
  return (req, res, body) => {
    const done =
      req.method === 'GET'
        ? issue().then((text) => answer(res, 200, text))
        : revoke(JSON.parse(body.toString('utf8')).lease_id).then(() => answer(res, 204, ''));
    done.catch((error: unknown) => fail(res, error));
  };
}

const [mode, prefix] = process.argv.slice(2);
const target = process.env.COFFER_FLOOR_TARGET;
const handlers: Record<string, (target: string, prefix?: string) => Handler> = {
  fsync: syncEach,
  'group-fsync': syncEachTurn,
  'pg-creds': credentials,
};
const make = handlers[mode];
if (!make || !target)
  throw new Error(`usage: COFFER_FLOOR_TARGET=… floor-server.ts ${Object.keys(handlers).join('|')} [PREFIX]`);
const handle = make(target, prefix);
createServer((req, res) => {
  readBody(req)
    .then((body) => handle(req, res, body))
    .catch((error: unknown) => fail(res, error));
}).listen(0, '127.0.0.1', function (this: import('node:net').Server) {
  const address = this.address();
  if (address && typeof address === 'object') process.stdout.write(`PORT ${address.port}\n`);
});
