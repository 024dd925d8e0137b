import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../framework/log.js';
import { SinkWriter } from './sink-writer.js';

const dir = await mkdtemp(join(tmpdir(), 'coffer-sink-writer-'));
after(() => rm(dir, { recursive: true, force: true }));

const noClient = () => {
  throw new Error('no client is needed without wrap_ttl');
};

test('a sink that cannot be written yet is retried until it can, without holding up the others', async () => {
  const controller = new AbortController();
  const later = join(dir, 'later');
  const writer = new SinkWriter([{ path: join(dir, 'now') }, { path: join(later, 'token') }], {
    client: noClient,
    log: silentLogger,
    signal: controller.signal,
  });
  const { allWritten } = await writer.write('hvs.first');
  assert.equal(await readFile(join(dir, 'now'), 'utf8'), 'hvs.first');
  await mkdir(later);
  assert.equal(await allWritten, true);
  assert.equal(await readFile(join(later, 'token'), 'utf8'), 'hvs.first');
  controller.abort();
});

test('a newer token supersedes the retries of an older one', async () => {
  const controller = new AbortController();
  const missing = join(dir, 'missing');
  const writer = new SinkWriter([{ path: join(missing, 'token') }], {
    client: noClient,
    log: silentLogger,
    signal: controller.signal,
  });
  const old = await writer.write('hvs.old');
  await writer.write('hvs.new');
  await mkdir(missing);
  assert.equal(await old.allWritten, false);
  controller.abort();
});
