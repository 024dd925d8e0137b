import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejection } from '../../framework/testing.js';
import { decodeBase64 } from './encoding.js';

describe('transit base64', () => {
  const cases = [
    { name: 'full groups', text: 'QUJD', ok: true },
    { name: 'one padding character', text: 'QUI=', ok: true },
    { name: 'two padding characters', text: 'QQ==', ok: true },
    { name: 'empty input', text: '', ok: true },
    { name: 'line breaks are skipped', text: 'QU\r\nJD', ok: true },
    { name: 'missing padding is refused', text: 'QQ', ok: false },
    { name: 'padding in the middle is refused', text: 'QQ==QUJD', ok: false },
    { name: 'only padding is refused', text: '====', ok: false },
    { name: 'a character outside the alphabet is refused', text: 'QU*D', ok: false },
    { name: 'url-safe characters are refused', text: 'QU-_', ok: false },
  ];
  for (const c of cases)
    test(c.name, async () => {
      if (c.ok) assert.deepEqual(decodeBase64(c.text), Buffer.from(c.text.replace(/\s/g, ''), 'base64'));
      else assert.equal((await rejection(Promise.resolve().then(() => decodeBase64(c.text)))).status, 400);
    });

  test('a value of many megabytes is checked without exhausting the stack', () => {
    const text = 'QUJD'.repeat(2_000_000); // 8 MB, above the old regex's limit of about 4.4 M characters
    assert.equal(decodeBase64(text).length, 6_000_000);
    assert.throws(() => decodeBase64(`${text}*`), /illegal base64 data at input byte 8000000/);
  });
});
