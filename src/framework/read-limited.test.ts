import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readLimited } from './read-limited.js';

const tooLarge = () => new Error('too large');

test('collects every chunk up to the limit', async () => {
  const body = await readLimited(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4, tooLarge);
  assert.equal(body.toString(), 'abcd');
});

test('past the limit the stream is destroyed and the read rejects', async () => {
  const stream = Readable.from([Buffer.from('abc'), Buffer.from('de')]);
  await assert.rejects(readLimited(stream, 4, tooLarge), /too large/);
  assert.equal(stream.destroyed, true);
});

test('a stream destroyed before its end rejects instead of hanging', async () => {
  const stream = new Readable({ read() {} });
  const reading = readLimited(stream, 100, tooLarge);
  stream.push(Buffer.from('partial'));
  stream.destroy();
  await assert.rejects(reading, /closed before its end/);
});

test('a stream already read to its end gives an empty body', async () => {
  const stream = Readable.from([Buffer.from('x')]);
  await readLimited(stream, 10, tooLarge);
  assert.equal((await readLimited(stream, 10, tooLarge)).length, 0);
});
