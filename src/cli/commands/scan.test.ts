/** `coffer scan` flags: sizes, modes and the combinations that are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../testing.js';
import { parseScanArgs, parseSize } from './scan.js';

test('-max-file-size takes bytes or K, M, G multiples', () => {
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('64K'), 64 * 1024);
  assert.equal(parseSize('10m'), 10 * 1024 * 1024);
  assert.equal(parseSize('1GiB'), 1024 ** 3);
  assert.throws(() => parseSize('ten'), /max-file-size/);
});

test('modes: files by default, -git for history, -staged for the index', () => {
  assert.equal(parseScanArgs(['src']).options.mode, 'files');
  assert.equal(parseScanArgs(['-git']).options.mode, 'history');
  assert.equal(parseScanArgs(['--staged', 'repo']).options.mode, 'staged');
  assert.throws(() => parseScanArgs(['-git', '-staged']), /exclude each other/);
  assert.throws(() => parseScanArgs(['-git', 'a', 'b']), /one repository/);
});

test('help exits 0 and names the exit codes; a bad flag exits 2', async () => {
  const help = await runCli(['scan', '-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes: 0 nothing found, 1 secrets found, 2 error/);
  const bad = await runCli(['scan', '-nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /flag provided but not defined: -nope/);
});
