/**
 * Reads MySQL's Go driver DSN, the form Vault users write `connection_url` in:
 * `[user[:password]@][protocol[(address)]]/dbname[?param=value&...]`, e.g.
 * `{{username}}:{{password}}@tcp(127.0.0.1:3306)/`.
 */
import { invalid } from '../../../core/errors.js';

export interface MysqlDsn {
  user: string;
  password: string;
  /** Set for `tcp(...)` (the default); `socketPath` is set instead for `unix(...)`. */
  host?: string;
  port?: number;
  socketPath?: string;
  database: string;
  params: Record<string, string>;
}

// Greedy credentials take everything up to the LAST `@` that is followed by a well-formed tail, as
// go-sql-driver does, so a password may contain `@`, `:`, `/`, `(` or `)`.
const GO_DSN = /^(?:([\s\S]*)@)?(?:([a-z0-9]+)(?:\(([^)]*)\))?)?\/([^?/]*)(?:\?([\s\S]*))?$/;

/** Parses the DSN; the error never repeats the DSN, which may hold a password. */
export function parseMysqlDsn(dsn: string): MysqlDsn {
  const match = GO_DSN.exec(dsn);
  if (!match) {
    throw invalid('invalid connection_url: expected user:password@tcp(host:port)/dbname (Go DSN form)');
  }
  const [, credentials = '', protocol = 'tcp', address = '', database, query = ''] = match;
  const colon = credentials.indexOf(':'); // the first `:` ends the user, as in go-sql-driver
  const user = colon === -1 ? credentials : credentials.slice(0, colon);
  const password = colon === -1 ? '' : credentials.slice(colon + 1);
  return {
    user,
    password,
    ...endpoint(protocol, address),
    database,
    params: Object.fromEntries(new URLSearchParams(query)),
  };
}

function endpoint(protocol: string, address: string): Pick<MysqlDsn, 'host' | 'port' | 'socketPath'> {
  if (protocol === 'unix') return { socketPath: address || '/tmp/mysql.sock' };
  if (protocol !== 'tcp') throw invalid(`invalid connection_url: unsupported protocol "${protocol}"`);
  if (address === '') return { host: '127.0.0.1', port: 3306 };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address); // [::1]:3306
  if (bracketed) return { host: bracketed[1], port: toPort(bracketed[2]) };
  const lastColon = address.lastIndexOf(':');
  if (lastColon === -1 || address.indexOf(':') !== lastColon) return { host: address, port: 3306 };
  return { host: address.slice(0, lastColon), port: toPort(address.slice(lastColon + 1)) };
}

function toPort(text: string | undefined): number {
  if (text === undefined || text === '') return 3306;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('invalid connection_url: bad port');
  return port;
}
