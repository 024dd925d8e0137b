/** `.coffer-scan-ignore`: fingerprints, path globs, comments. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globToRegExp, isIgnoredPath, parseIgnore } from './ignore.js';

test('fingerprints and path globs, with comments and blank lines', () => {
  const list = parseIgnore(
    '# baseline\nABCDEF0123456789  # a test fixture\n\npath:fixtures/**\npath: *.pem\n',
  );
  assert.deepEqual([...list.fingerprints], ['abcdef0123456789']);
  assert.equal(list.paths.length, 2);
  assert.ok(isIgnoredPath(list, 'fixtures/keys/a.txt'));
  assert.ok(isIgnoredPath(list, './fixtures/a.txt'));
  assert.ok(isIgnoredPath(list, 'deep/down/server.pem'));
  assert.ok(!isIgnoredPath(list, 'src/fixtures.ts'));
  assert.ok(!isIgnoredPath(list, 'src/server.pem.ts'));
});

const globs = [
  { glob: 'src/*.ts', yes: ['src/a.ts'], no: ['src/x/a.ts', 'lib/src/a.ts'] },
  { glob: 'src/**/*.test.ts', yes: ['src/a.test.ts', 'src/x/y/a.test.ts'], no: ['test/a.test.ts'] },
  { glob: '.env*', yes: ['.env', 'app/.env.local'], no: ['env.ts'] },
  { glob: 'docs/?.md', yes: ['docs/a.md'], no: ['docs/ab.md'] },
  { glob: 'a+b.txt', yes: ['a+b.txt'], no: ['aab.txt'] },
];
for (const g of globs) {
  test(`glob ${g.glob}`, () => {
    const re = globToRegExp(g.glob);
    for (const path of g.yes) assert.ok(re.test(path), path);
    for (const path of g.no) assert.ok(!re.test(path), path);
  });
}
