/** K=V arguments: files, stdin, JSON objects, escapes and repeated keys. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseArgsData, toStringLists } from './kv-args.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-kv-'));
  await writeFile(join(dir, 'cert.pem'), '-----BEGIN X-----\n');
  await writeFile(join(dir, 'data.json'), '{"a": 1, "b": {"c": true}}');
});
after(() => rm(dir, { recursive: true, force: true }));

const noStdin = { readStdin: () => Promise.reject(new Error('stdin not expected')) };
const stdin = (text: string) => ({ readStdin: () => Promise.resolve(text) });

test('plain pairs, = inside values, and repeated keys as lists', async () => {
  assert.deepEqual(await parseArgsData(['a=1', 'url=x=y', 'p=one', 'p=two'], noStdin), {
    a: '1',
    url: 'x=y',
    p: ['one', 'two'],
  });
});

test('k=@file reads the file; k=\\@x keeps a literal @', async () => {
  const data = await parseArgsData([`cert=@${join(dir, 'cert.pem')}`, 'handle=\\@bob'], noStdin);
  assert.deepEqual(data, { cert: '-----BEGIN X-----\n', handle: '@bob' });
});

test('k=- reads all of stdin, once', async () => {
  assert.deepEqual(await parseArgsData(['token=-'], stdin('s3cret\n')), { token: 's3cret\n' });
  await assert.rejects(
    parseArgsData(['a=-', 'b=-'], stdin('x')),
    /Invalid key\/value pair 'b=-': stdin already consumed/,
  );
});

test('a lone - is a JSON object from stdin; @file.json one from a file', async () => {
  assert.deepEqual(await parseArgsData(['-', 'extra=1'], stdin('{"password":"x","n":2}')), {
    password: 'x',
    n: 2,
    extra: '1',
  });
  assert.deepEqual(await parseArgsData([`@${join(dir, 'data.json')}`], noStdin), { a: 1, b: { c: true } });
});

test('an argument without = is refused like vault', async () => {
  await assert.rejects(
    parseArgsData(['oops'], noStdin),
    /^Error: Invalid key\/value pair 'oops': format must be key=value$/,
  );
  await assert.rejects(parseArgsData(['x=@/nonexistent/file'], noStdin), /error reading file/);
});

test('query data becomes string lists', () => {
  assert.deepEqual(toStringLists({ a: '1', b: ['x', 'y'], n: 2 }), { a: ['1'], b: ['x', 'y'], n: ['2'] });
});
