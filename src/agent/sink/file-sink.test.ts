import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSinkFile } from './file-sink.js';

const dir = await mkdtemp(join(tmpdir(), 'coffer-sink-'));
after(() => rm(dir, { recursive: true, force: true }));

test('the sink is 0600 by default, whatever the umask, and exactly the configured mode otherwise', async () => {
  const previous = process.umask(0);
  try {
    await writeSinkFile(join(dir, 'a'), 'hvs.one');
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o600);
    await writeSinkFile(join(dir, 'b'), 'hvs.one', 0o640);
    assert.equal((await stat(join(dir, 'b'))).mode & 0o777, 0o640);
    // mode 0 leaves the mode alone, as Vault's 0000: the file keeps its owner-only creation mode.
    await writeSinkFile(join(dir, 'c'), 'hvs.one', 0);
    assert.equal((await stat(join(dir, 'c'))).mode & 0o777, 0o600);
  } finally {
    process.umask(previous);
  }
});

test('a reader racing 200 rewrites only ever sees a whole token, and no temp file is left', async () => {
  const path = join(dir, 'race');
  const tokens = Array.from(
    { length: 200 },
    (_, i) => `hvs.${String(i).padStart(4, '0')}${'x'.repeat(4096)}`,
  );
  await writeSinkFile(path, tokens[0]);
  let writing = true;
  const seen = new Set<string>();
  const reader = (async () => {
    while (writing) seen.add(await readFile(path, 'utf8'));
  })();
  for (const token of tokens) await writeSinkFile(path, token);
  writing = false;
  await reader;
  for (const text of seen) assert.ok(tokens.includes(text), `a partial read of ${text.length} bytes`);
  assert.ok(seen.size > 1);
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
    [],
  );
});
