import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StorageView } from '../framework/storage-view.js';
import { InmemBackend } from '../storage/inmem.js';
import { AuditedHeaders } from './request-headers.js';

test('settings are case-insensitive, kept lower-case and survive a reload from storage', async () => {
  const storage = new StorageView(new InmemBackend(), 'core/audited-headers/');
  const headers = new AuditedHeaders(storage);
  await headers.set('X-Request-Source', false);
  await headers.set('X-Api-Key', true);
  const reloaded = new AuditedHeaders(storage);
  await reloaded.load();
  assert.deepEqual(reloaded.list(), { 'x-request-source': { hmac: false }, 'x-api-key': { hmac: true } });
  assert.deepEqual(reloaded.get('X-API-KEY'), { hmac: true });
  await reloaded.remove('X-Request-Source');
  const again = new AuditedHeaders(storage);
  await again.load();
  assert.deepEqual(Object.keys(again.list()), ['x-api-key']);
});

test('pick takes only configured headers present on the request and names the ones to HMAC', async () => {
  const headers = new AuditedHeaders(new StorageView(new InmemBackend(), 'h/'));
  assert.deepEqual(headers.pick({ 'x-a': '1' }), {}, 'nothing configured, nothing carried');
  await headers.set('X-A', false);
  await headers.set('X-B', true);
  await headers.set('X-Missing', false);
  assert.deepEqual(headers.pick({ 'x-a': '1', 'x-b': '2', 'x-c': '3' }), {
    headers: { 'x-a': ['1'], 'x-b': ['2'] },
    hmacHeaders: ['x-b'],
  });
});
