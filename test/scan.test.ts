/** `coffer scan` as a user runs it: the built CLI over temp folders and a real git repository. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fake, randomish } from '../src/scan/testing.js';
import { BIN, ROOT } from './helpers/server.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every secret planted below: none may ever appear in the scanner's output. */
const planted: string[] = [];
function plant(secret: string): string {
  planted.push(secret);
  return secret;
}

function scan(cwd: string, ...args: string[]): Run {
  const run = spawnSync(process.execPath, [BIN, 'scan', ...args], { cwd, encoding: 'utf8' });
  for (const secret of planted) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a full secret was printed');
  }
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Scanner Test',
  GIT_AUTHOR_EMAIL: 'scanner@example.test',
  GIT_COMMITTER_NAME: 'Scanner Test',
  GIT_COMMITTER_EMAIL: 'scanner@example.test',
};

function git(cwd: string, date: string, ...args: string[]): string {
  const run = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

describe('coffer scan', () => {
  let dir: string;
  const githubToken = plant(fake('gh', 'p_', randomish(36, undefined, 11)));
  const dbPassword = plant(randomish(20, undefined, 13));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-scan-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function project(name: string, files: Record<string, string | Buffer>): Promise<string> {
    const root = join(dir, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return root;
  }

  test('a clean tree exits 0 and prints nothing', async () => {
    const root = await project('clean', { 'src/app.ts': 'export const answer = 42;\n' });
    assert.deepEqual(scan(root, '.'), { code: 0, stdout: '', stderr: '' });
  });

  test('a secret exits 1 with path:line: rule: description: redacted, never the secret', async () => {
    const root = await project('dirty', {
      'src/app.ts': `// config\nconst url = 'postgres://app:${dbPassword}@db:5432/app';\n`,
      'deploy/.env': `GITHUB_TOKEN=${githubToken}\n`,
    });
    const run = scan(root, '.');
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      `deploy/.env:1: github-token: GitHub token (personal, OAuth, app or refresh): ${githubToken.slice(0, 4)}…(40 chars)`,
      `src/app.ts:2: connection-url-password: Connection URL with an embedded password: ${dbPassword.slice(0, 4)}…(20 chars)`,
    ]);
  });

  test('-format=json is a JSON array of findings with fingerprints', async () => {
    const root = join(dir, 'dirty');
    const run = scan(root, '-format=json', 'src');
    assert.equal(run.code, 1);
    const findings = JSON.parse(run.stdout);
    assert.equal(findings.length, 1);
    assert.deepEqual(Object.keys(findings[0]).sort(), [
      'column',
      'description',
      'file',
      'fingerprint',
      'line',
      'redacted',
      'rule',
      'severity',
    ]);
    assert.equal(findings[0].file, 'src/app.ts');
    assert.equal(findings[0].column, "const url = 'postgres://app:".length + 1);
    assert.match(findings[0].fingerprint, /^[0-9a-f]{16}$/);
    const clean = scan(join(dir, 'clean'), '-format=json');
    assert.deepEqual(JSON.parse(clean.stdout), []);
  });

  test('.git, node_modules, binary files and files over -max-file-size are skipped', async () => {
    const line = `token=${githubToken}\n`;
    const root = await project('skipped', {
      '.git/config': line,
      'node_modules/pkg/index.js': line,
      'image.png': Buffer.concat([Buffer.from([0x89, 0x50, 0, 0]), Buffer.from(line)]),
      'big.txt': `${'x'.repeat(2048)}\n${line}`,
    });
    assert.equal(scan(root, '-max-file-size=1K', '.').code, 0);
    assert.equal(scan(root, '.').code, 1, 'big.txt is scanned under the default limit');
  });

  test('an allow comment and the ignore file silence findings', async () => {
    const root = await project('allowed', {
      'a.ts': `const t = '${githubToken}'; // coffer-scan:allow\n`,
      'fixtures/b.txt': `${githubToken}\n`,
      'c.ts': `const t = '${githubToken}';\n`,
    });
    const before = JSON.parse(scan(root, '-format=json').stdout);
    assert.deepEqual(
      before.map((f: { file: string }) => f.file),
      ['c.ts', 'fixtures/b.txt'],
    );
    const baseline = `# accepted\n${before[0].fingerprint}\npath:fixtures/**\n`;
    await writeFile(join(root, '.coffer-scan-ignore'), baseline);
    assert.deepEqual(scan(root), { code: 0, stdout: '', stderr: '' });
  });

  test('exit 2 on a bad flag, a bad format, a missing path', async () => {
    const root = join(dir, 'clean');
    for (const args of [['-bogus'], ['-format=xml'], ['-max-file-size=lots'], ['missing-folder']]) {
      const run = scan(root, ...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.notEqual(run.stderr, '');
    }
    const missing = scan(join(dir, 'dirty'), 'src', 'missing-folder');
    assert.equal(missing.code, 2, 'an error beats findings');
    assert.match(missing.stdout, /connection-url-password/);
    assert.match(missing.stderr, /cannot read missing-folder: ENOENT/);
  });

  test('-git finds a secret that a later commit removed, with its commit and date; the tree scan does not', async () => {
    const repo = await project('repo', { 'README.md': 'hello\n', 'old.env': `API_TOKEN=${githubToken}\n` });
    git(repo, '2026-01-01T10:00:00Z', 'init', '-q');
    git(repo, '2026-01-01T10:00:00Z', 'add', '.');
    git(repo, '2026-01-01T10:00:00Z', 'commit', '-q', '-m', 'first');
    await writeFile(join(repo, 'config.yml'), `db:\n  url: mysql://app:${dbPassword}@db/app\n`);
    git(repo, '2026-01-02T10:00:00Z', 'add', '.');
    git(repo, '2026-01-02T10:00:00Z', 'commit', '-q', '-m', 'add config');
    const leaked = git(repo, '2026-01-02T10:00:00Z', 'rev-parse', 'HEAD');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style reference the scanner must ignore
    await writeFile(join(repo, 'config.yml'), 'db:\n  url: ${DATABASE_URL}\n');
    git(repo, '2026-01-03T10:00:00Z', 'rm', '-q', 'old.env');
    git(repo, '2026-01-03T10:00:00Z', 'commit', '-q', '-am', 'use env');
    const root = git(repo, '2026-01-03T10:00:00Z', 'rev-list', '--max-parents=0', 'HEAD');

    assert.equal(scan(repo, '.').code, 0);
    const history = scan(repo, '-git');
    assert.equal(history.code, 1, history.stderr);
    assert.match(
      history.stdout,
      new RegExp(`^config\\.yml:2: connection-url-password: .*commit ${leaked}`, 'm'),
    );
    assert.match(
      history.stdout,
      new RegExp(`^old\\.env:1: github-token: .*commit ${root}`, 'm'),
      'the root commit too',
    );
    const findings = JSON.parse(scan(repo, '-git', '-format=json').stdout);
    assert.equal(findings.length, 2);
    const finding = findings.find((f: { commit: string }) => f.commit === leaked);
    assert.equal(finding.date, '2026-01-02T10:00:00Z'.replace('Z', '+00:00'));
    assert.equal(finding.line, 2);
  });

  test('-staged scans what is about to be committed', async () => {
    const repo = join(dir, 'repo');
    await writeFile(join(repo, 'deploy.sh'), `#!/bin/sh\nexport GH=${githubToken}\n`);
    assert.equal(scan(repo, '-staged').code, 0, 'not staged yet');
    git(repo, '2026-01-04T10:00:00Z', 'add', 'deploy.sh');
    const run = scan(repo, '-staged');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^deploy\.sh:2: github-token: /);
  });

  test('-git finds a secret that only a merge commit added, in its conflict resolution', async () => {
    const repo = await project('merge', { 'f.txt': 'a\nb\nc\n' });
    const at = '2026-01-03T10:00:00Z';
    git(repo, at, 'init', '-q', '-b', 'main');
    git(repo, at, 'add', '.');
    git(repo, at, 'commit', '-q', '-m', 'base');
    git(repo, at, 'checkout', '-q', '-b', 'side');
    await writeFile(join(repo, 'f.txt'), 'a\nb side\nc\n');
    git(repo, at, 'commit', '-q', '-am', 'side');
    git(repo, at, 'checkout', '-q', 'main');
    await writeFile(join(repo, 'f.txt'), 'a\nb main\nc\n');
    git(repo, at, 'commit', '-q', '-am', 'main');
    spawnSync('git', ['merge', '-q', 'side'], { cwd: repo, env: GIT_ENV });
    await writeFile(join(repo, 'f.txt'), `a\nb merged\nGH=${githubToken}\nc\n`);
    git(repo, at, 'commit', '-q', '-am', 'merge');
    const merge = git(repo, at, 'rev-parse', 'HEAD');
    const run = scan(repo, '-git');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, new RegExp(`^f\\.txt:3: github-token: .*\\(commit ${merge} `));
  });

  test('-git outside a repository is an error', async () => {
    const run = scan(join(dir, 'clean'), '-git');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /not a git repository/);
  });

  test('a file name cannot write terminal escapes or forge finding lines, in files or in -git', async () => {
    const name = 'x\u001b]0;pwned\u0007\nsrc/forged.ts:1: github-token: forged\r.env';
    const repo = await project('hostile-names', { [name]: `T=${githubToken}\n` });
    git(repo, '2026-01-01T10:00:00Z', 'init', '-q');
    git(repo, '2026-01-01T10:00:00Z', 'add', '.');
    git(repo, '2026-01-01T10:00:00Z', 'commit', '-q', '-m', 'names');
    for (const args of [['.'], ['-git']]) {
      const run = scan(repo, ...args);
      assert.equal(run.code, 1, run.stderr);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not be printed
      assert.doesNotMatch(run.stdout.replace(/\n$/, ''), /[\u0000-\u001f\u007f]/, `${args}: ${run.stdout}`);
      assert.equal(run.stdout.trimEnd().split('\n').length, 1, `${args}: ${run.stdout}`);
    }
  });

  test("the project's own src/ scans clean", () => {
    const run = scan(ROOT, 'src');
    assert.deepEqual(run, { code: 0, stdout: '', stderr: '' });
  });
});
