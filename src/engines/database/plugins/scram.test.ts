import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { preparePassword, scramSha256Verifier } from './scram.js';

const url = process.env.COFFER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const VERIFIER = /^SCRAM-SHA-256\$4096:([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

let client: pg.Client;
before(async () => {
  client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("SET password_encryption = 'scram-sha-256'");
});
after(() => client?.end());

/** The verifier PostgreSQL itself stores for `password` (a role made and dropped in one transaction). */
async function postgresVerifier(password: string): Promise<string> {
  const role = `coffer_scram_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await client.query('BEGIN');
  try {
    await client.query(`CREATE ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(password)}`);
    const found = await client.query<{ rolpassword: string }>(
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [role],
    );
    return found.rows[0].rolpassword;
  } finally {
    await client.query('ROLLBACK');
  }
}

test("the verifier is byte for byte PostgreSQL's own for the same salt, SASLprep included", async () => {
  const passwords = {
    ascii: 'A1a-Zz9-generated-pw',
    'ASCII with a control character (kept: PostgreSQL prepares only non-ASCII)': 'tab\there',
    'a non-ASCII space and fullwidth letters (mapped, then NFKC)': 'pass\u00a0ｗｏｒｄ-Ⅻ',
    'a soft hyphen (mapped to nothing)': 'soft\u00adhyphen-é',
    'a prohibited character (SASLprep refuses: hashed as given)': 'bell\u0007é',
    'mixed directions (SASLprep refuses: hashed as given)': 'abc\u05d0é',
  };
  for (const [why, password] of Object.entries(passwords)) {
    const theirs = await postgresVerifier(password);
    const [, salt] =
      VERIFIER.exec(theirs) ?? assert.fail(`PostgreSQL's verifier has an unexpected form: ${why}`);
    assert.equal(await scramSha256Verifier(password, Buffer.from(salt, 'base64')), theirs, why);
  }
});

test('each verifier has a fresh 16-byte salt and the stored form PostgreSQL reads', async () => {
  const first = VERIFIER.exec(await scramSha256Verifier('same password'));
  const second = VERIFIER.exec(await scramSha256Verifier('same password'));
  assert.ok(first && second);
  assert.equal(Buffer.from(first[1], 'base64').length, 16);
  assert.notEqual(first[1], second[1], 'salts differ');
  assert.notEqual(first[2], second[2], 'so do the stored keys');
});

test('preparePassword leaves ASCII alone and falls back to the password when SASLprep refuses it', async () => {
  assert.equal(await preparePassword('plain ASCII\u0001'), 'plain ASCII\u0001');
  assert.equal(await preparePassword('ｆｕｌｌ\u2003width'), 'full width');
  assert.equal(await preparePassword('\u0627\u0031'), '\u0627\u0031', 'RandALCat not at both ends');
});
