/** Go flag-package semantics: flags first, `=`/space values, booleans, repeatables, Go error wording. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FlagDef, parseFlags, trailingFlagWarning } from './flags.js';

const defs: FlagDef[] = [
  { name: 'format', kind: 'string', usage: '' },
  { name: 'force', aliases: ['f'], kind: 'bool', usage: '' },
  { name: 'renewable', kind: 'bool', default: true, usage: '' },
  { name: 'ttl', kind: 'duration', usage: '' },
  { name: 'use-limit', kind: 'int', usage: '' },
  { name: 'policy', kind: 'stringSlice', usage: '' },
  { name: 'metadata', kind: 'stringMap', usage: '' },
];

test('flags come before positional arguments; parsing stops at the first argument', () => {
  const parsed = parseFlags(defs, ['-format=json', '--force', 'secret/foo', '-ttl=1h', 'a=b']);
  assert.equal(parsed.string('format'), 'json');
  assert.equal(parsed.bool('force'), true);
  assert.deepEqual(parsed.args, ['secret/foo', '-ttl=1h', 'a=b']);
  assert.equal(parsed.isSet('ttl'), false);
});

test('a value may be the next argument; booleans only take =value', () => {
  const parsed = parseFlags(defs, ['-format', 'yaml', '-renewable=false', '-f', 'false']);
  assert.equal(parsed.string('format'), 'yaml');
  assert.equal(parsed.bool('force'), true);
  assert.equal(parsed.bool('renewable'), false);
  assert.deepEqual(parsed.args, ['false']);
});

test('defaults apply when a flag is not given', () => {
  const parsed = parseFlags(defs, []);
  assert.equal(parsed.bool('renewable'), true);
  assert.equal(parsed.isSet('renewable'), false);
});

test('repeatable slices and key=value maps accumulate', () => {
  const parsed = parseFlags(defs, [
    '-policy=a',
    '-policy',
    ' b ',
    '-metadata=user=bob',
    '-metadata',
    'team=x=y',
  ]);
  assert.deepEqual(parsed.list('policy'), ['a', 'b']);
  assert.deepEqual(parsed.map('metadata'), { user: 'bob', team: 'x=y' });
});

test('durations accept seconds and Go syntax; ints are checked', () => {
  assert.equal(parseFlags(defs, ['-ttl=90']).duration('ttl'), 90_000_000_000n);
  assert.equal(parseFlags(defs, ['-ttl=1m30s']).duration('ttl'), 90_000_000_000n);
  assert.equal(parseFlags(defs, ['-ttl=system']).duration('ttl'), -1_000_000_000n);
  assert.equal(parseFlags(defs, ['-use-limit=5']).int('use-limit'), 5);
});

test('a lone "-" is an argument and "--" ends the flags', () => {
  assert.deepEqual(parseFlags(defs, ['-', '-f']).args, ['-', '-f']);
  assert.deepEqual(parseFlags(defs, ['--', '-f']).args, ['-f']);
});

test('errors use the Go flag package wording', () => {
  assert.throws(() => parseFlags(defs, ['-nope']), /^FlagError: flag provided but not defined: -nope$/);
  assert.throws(() => parseFlags(defs, ['-format']), /flag needs an argument: -format/);
  assert.throws(
    () => parseFlags(defs, ['-f=maybe']),
    /invalid boolean value "maybe" for -f: strconv.ParseBool/,
  );
  assert.throws(
    () => parseFlags(defs, ['-ttl=abc']),
    /invalid value "abc" for flag -ttl: time: invalid duration "abc"/,
  );
  assert.throws(() => parseFlags(defs, ['-use-limit=x']), /invalid value "x" for flag -use-limit/);
  assert.throws(
    () => parseFlags(defs, ['-h']),
    (e: { help: boolean }) => e.help,
  );
});

test('flags after positional arguments earn vault warning', () => {
  assert.equal(trailingFlagWarning(['secret/foo', 'a=b']), undefined);
  assert.match(
    trailingFlagWarning(['secret/foo', '-format=json', '-'])!,
    /will not be parsed as flags: \[-format=json\]$/,
  );
});
