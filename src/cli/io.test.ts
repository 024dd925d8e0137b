/** Secret prompts (hidden on a terminal, one line otherwise) and vault's word wrapping. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { type CliIo, type InStream, promptSecret, wrapAtLength } from './io.js';

function fakeIo(stdin: InStream) {
  let out = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
    stdin,
    env: {},
  };
  return { io, out: () => out };
}

test('on a terminal the prompt reads raw keystrokes without echo, honouring backspace', async () => {
  const stdin = new PassThrough() as PassThrough & InStream;
  const modes: boolean[] = [];
  stdin.isTTY = true;
  stdin.setRawMode = (mode: boolean) => modes.push(mode);
  const { io, out } = fakeIo(stdin);
  const answer = promptSecret(io, 'Unseal Key (will be hidden): ');
  stdin.write('ab\u007fc\r');
  assert.equal(await answer, 'ac');
  assert.deepEqual(modes, [true, false]);
  assert.equal(out(), 'Unseal Key (will be hidden): \n');
});

test('Ctrl-C at the prompt is an error and leaves raw mode', async () => {
  const stdin = new PassThrough() as PassThrough & InStream;
  const modes: boolean[] = [];
  stdin.isTTY = true;
  stdin.setRawMode = (mode: boolean) => modes.push(mode);
  const { io } = fakeIo(stdin);
  const answer = promptSecret(io, '> ');
  stdin.write('\u0003');
  await assert.rejects(answer, /user interrupted/);
  assert.deepEqual(modes, [true, false]);
});

test('without a terminal one line is read', async () => {
  const stdin = new PassThrough() as PassThrough & InStream;
  const { io } = fakeIo(stdin);
  const answer = promptSecret(io, '> ');
  stdin.write('key-one\r\nkey-two\n');
  assert.equal(await answer, 'key-one');
});

test('prose wraps at 78 columns, with padding', () => {
  const text = 'word '.repeat(30).trim();
  for (const line of wrapAtLength(text).split('\n')) assert.ok(line.length <= 78);
  assert.ok(wrapAtLength('* a warning', 2).startsWith('  * a warning'));
});
