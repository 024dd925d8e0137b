/** The diff parser: new line numbers, commits, paths, and diff lines that look like headers. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FindingCollector } from './collect.js';
import type { Finding } from './finding.js';
import { DiffParser, diffPath, HISTORY_ARGS, STAGED_ARGS, scanGitDiff } from './git.js';
import { EMPTY_IGNORE, parseIgnore } from './ignore.js';
import { fake, randomish } from './testing.js';

function parse(diff: string, ignore = EMPTY_IGNORE): Finding[] {
  const found: Finding[] = [];
  const parser = new DiffParser(
    new FindingCollector(ignore, { finding: (f) => found.push(f), error: assert.fail }),
  );
  for (const text of diff.split('\n')) parser.line(text, false);
  return found;
}

const token = fake('gh', 'p_', randomish(36));
const commit = 'a'.repeat(40);

const history = [
  `\0${commit} 2026-01-02T03:04:05+00:00`,
  'diff --git a/app.env b/app.env',
  'new file mode 100644',
  '--- /dev/null',
  '+++ b/app.env',
  '@@ -0,0 +1,3 @@',
  '+first',
  `++++ GH=${token}`,
  '+-- not a header',
  'diff --git a/src/x.ts b/src/x.ts',
  '--- a/src/x.ts',
  '+++ b/src/x.ts',
  '@@ -10,2 +10,0 @@',
  `-const old = '${fake('gl', 'pat-', randomish(20))}';`,
  '-gone',
  '@@ -40 +38 @@',
  `-x`,
  `+const t = '${token}';`,
  '\\ No newline at end of file',
].join('\n');

test('added lines are reported with their new line numbers, commit and date; removed lines are not', () => {
  const found = parse(history);
  assert.deepEqual(
    found.map((f) => [f.file, f.line, f.rule, f.commit, f.date]),
    [
      ['app.env', 2, 'github-token', commit, '2026-01-02T03:04:05+00:00'],
      ['src/x.ts', 38, 'github-token', commit, '2026-01-02T03:04:05+00:00'],
    ],
  );
});

test('an ignored path glob skips that file of the diff', () => {
  const found = parse(history, parseIgnore('path:*.env\n'));
  assert.deepEqual(
    found.map((f) => f.file),
    ['src/x.ts'],
  );
});

test('staged diffs have no commit header', () => {
  const found = parse(
    ['diff --git a/a b/a', '--- a/a', '+++ b/a', '@@ -1 +1 @@', '-x', `+${token}`].join('\n'),
  );
  assert.equal(found.length, 1);
  assert.equal(found[0].commit, undefined);
});

test('a merge: the lines its resolution added (new to both parents) are reported, not those from a parent', () => {
  const fromParent = fake('gl', 'pat-', randomish(20, undefined, 3));
  const found = parse(
    [
      `\0${commit} 2026-01-03T00:00:00+00:00`,
      '',
      'diff --cc f.txt',
      'index ab12daa,e0a0e50..85a6dd0',
      '--- a/f.txt',
      '+++ b/f.txt',
      '@@@ -2,3 -2,2 +2,4 @@@',
      '- b main',
      ' -b side',
      '++b merged',
      ` +${fromParent}`,
      `++GH=${token}`,
      '  c',
      'diff --git a/g.txt b/g.txt',
      '--- a/g.txt',
      '+++ b/g.txt',
      '@@ -1 +1 @@',
      '-x',
      `+${token}`,
    ].join('\n'),
  );
  assert.deepEqual(
    found.map((f) => [f.file, f.line, f.rule]),
    [
      ['f.txt', 4, 'github-token'],
      ['g.txt', 1, 'github-token'],
    ],
  );
});

test('diff paths: b/ prefix, C-quoted names, deleted files', () => {
  assert.equal(diffPath('b/src/a.ts'), 'src/a.ts');
  assert.equal(diffPath('"b/with\\ttab.ts"'), 'with\ttab.ts');
  assert.equal(diffPath('/dev/null'), undefined);
});

test('the config of a scanned repository runs nothing: core.fsmonitor, gpg.program with log.showSignature', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'coffer-scan-hostile-'));
  try {
    const marker = join(repo, 'ran');
    const hook = join(repo, 'hook.sh');
    await writeFile(hook, `#!/bin/sh\necho "$0 $*" >> '${marker}'\ncat >/dev/null\nexit 1\n`);
    await chmod(hook, 0o755);
    const git = (...args: string[]) => {
      const run = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trim();
    };
    git('init', '-q');
    await writeFile(join(repo, 'a.txt'), 'one\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'one');
    // A commit carrying a (bogus) signature: log.showSignature hands it to gpg.program.
    const signed = `tree ${git('rev-parse', 'HEAD^{tree}')}\nparent ${git('rev-parse', 'HEAD')}\nauthor t <t@example.com> 1700000000 +0000\ncommitter t <t@example.com> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n`;
    await writeFile(join(repo, 'commit.txt'), signed);
    git('update-ref', 'refs/heads/signed', git('hash-object', '-t', 'commit', '-w', 'commit.txt'));
    await writeFile(join(repo, 'a.txt'), 'two\n');
    git('add', 'a.txt');
    git('config', 'core.fsmonitor', hook);
    git('config', 'log.showSignature', 'true');
    git('config', 'gpg.program', hook);
    await rm(marker, { force: true });
    const collector = new FindingCollector(EMPTY_IGNORE, { finding: () => {}, error: assert.fail });
    await scanGitDiff(repo, HISTORY_ARGS, collector);
    await scanGitDiff(repo, STAGED_ARGS, collector);
    const ran = await readFile(marker, 'utf8').catch(() => '');
    assert.equal(ran, '', `the repository's config ran: ${ran}`);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});
