/** Line splitting over chunks: numbering, CRLF, split characters, capped long lines, binary sniffing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryFileError, MAX_LINE_CHARS, readLines, type TextLine } from './lines.js';

async function collect(chunks: Buffer[], sniff = true): Promise<TextLine[]> {
  const out: TextLine[] = [];
  for await (const line of readLines(chunks, sniff)) out.push(line);
  return out;
}

test('numbers lines across chunk boundaries and strips CR', async () => {
  const lines = await collect([Buffer.from('one\r\ntw'), Buffer.from('o\nthree')]);
  assert.deepEqual(
    lines.map((l) => [l.line, l.text]),
    [
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ],
  );
});

test('a multi-byte character split between chunks stays whole', async () => {
  const bytes = Buffer.from('é\n');
  const lines = await collect([bytes.subarray(0, 1), bytes.subarray(1)]);
  assert.equal(lines[0].text, 'é');
});

test('a very long line comes in capped pieces under one line number', async () => {
  const long = 'a'.repeat(MAX_LINE_CHARS * 2 + 5);
  const lines = await collect([Buffer.from(`${long}\nnext\n`)]);
  assert.deepEqual(
    lines.map((l) => [l.line, l.text.length, l.continued]),
    [
      [1, MAX_LINE_CHARS, false],
      [1, MAX_LINE_CHARS, true],
      [1, 5, true],
      [2, 4, false],
    ],
  );
});

test('a NUL byte near the start marks the stream binary, unless sniffing is off', async () => {
  await assert.rejects(collect([Buffer.from('PK\0\x03 text\n')]), BinaryFileError);
  assert.equal((await collect([Buffer.from('a\0b\n')], false)).length, 1);
  const late = Buffer.concat([Buffer.alloc(9000, 'x'), Buffer.from('\0')]);
  assert.equal((await collect([late])).length, 1);
});
