/**
 * PostgreSQL's SCRAM-SHA-256 password verifier, made here so a plain password never has to reach the
 * database (`password_authentication = "scram-sha-256"`, as in Vault's PostgreSQL plugin). PostgreSQL
 * stores a `CREATE ROLE ... PASSWORD '<verifier>'` as given, and a client logs in with the plain
 * password by SCRAM as usual. It saves PostgreSQL no CPU: it still checks a new verifier against the
 * empty password, one PBKDF2 with the verifier's salt (docs/performance.md, ninth session).
 *
 * No npm package builds the stored form: the SCRAM libraries are clients of the exchange. The pieces are
 * node:crypto's PBKDF2, HMAC and SHA-256 and a maintained SASLprep; only the layout is ours.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Loaded on first need: its Unicode tables took 30 ms and ~2 MB of heap, which ASCII passwords never use. */
let saslprepModule: Promise<{ default: (input: string) => string }> | undefined;

/** PostgreSQL's defaults (src/include/common/scram-common.h): a 16-byte salt and 4,096 iterations. */
const SALT_BYTES = 16;
const ITERATIONS = 4096;
const KEY_BYTES = 32;

/**
 * The password as PostgreSQL and libpq hash it (src/common/saslprep.c): an ASCII password as it is;
 * any other through SASLprep (RFC 4013), and as it is when SASLprep refuses it (a prohibited or
 * unassigned character, mixed directions). Both sides fall back the same way, so such a password
 * still logs in.
 */
export async function preparePassword(password: string): Promise<string> {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for the whole ASCII range.
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  saslprepModule ??= import('@mongodb-js/saslprep');
  const { default: saslprep } = await saslprepModule;
  try {
    return saslprep(password);
  } catch {
    return password;
  }
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802 §3, RFC 7677), the form
 * PostgreSQL keeps in pg_authid.rolpassword. PBKDF2 (about a millisecond of CPU) runs on libuv's
 * thread pool, not on the event loop.
 */
export async function scramSha256Verifier(password: string, salt = randomBytes(SALT_BYTES)): Promise<string> {
  const salted = await pbkdf2Async(await preparePassword(password), salt, ITERATIONS, KEY_BYTES, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  return `SCRAM-SHA-256$${ITERATIONS}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
