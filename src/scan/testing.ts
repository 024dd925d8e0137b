/**
 * Fake secrets for the scanner's tests, built at run time so that no secret-shaped literal sits in the
 * repository (which `coffer scan` checks in CI).
 */

export const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const BASE64 = `${BASE62}+/`;
export const BASE64URL = `${BASE62}_-`;
export const DIGITS = '0123456789';

/** Deterministic, high-entropy text: the same for a given seed, so fingerprints can be compared. */
export function randomish(length: number, alphabet = BASE62, seed = 7): string {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += alphabet[Math.floor((state / 2147483648) * alphabet.length)];
  }
  return out;
}

/** Joins pieces: `fake('gh', 'p_', body)` keeps a token prefix out of the source. */
export const fake = (...parts: string[]) => parts.join('');

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function fakeJwt(): string {
  return [
    b64url({ alg: 'HS256', typ: 'JWT' }),
    b64url({ sub: 'scanner-test', iat: 1 }),
    randomish(43, BASE64URL),
  ].join('.');
}

/** An OpenSSH key body line: `openssh-key-v1\0`, then the cipher name as an SSH string. */
export function opensshBody(cipher: string): string {
  const name = Buffer.from(cipher);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  const rest = Buffer.from(randomish(30));
  return Buffer.concat([Buffer.from('openssh-key-v1\0'), length, name, rest]).toString('base64');
}

/** A PEM block's lines with a fake body; `headers` go between BEGIN and the body (`Proc-Type: …`). */
export function pemLines(kind: string, headers: string[] = [], body = randomish(64, BASE64)): string[] {
  const dashes = '-----';
  return [
    `${dashes}BEGIN ${kind}${dashes}`,
    ...headers,
    body,
    randomish(64, BASE64, 9),
    `${dashes}END ${kind}${dashes}`,
  ];
}
