import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeClock } from '../../framework/clock.js';
import { mountForTest, rejection } from '../../framework/testing.js';
import { InmemBackend } from '../../storage/inmem.js';
import { x509Library } from './certs.js';
import { createPkiEngine } from './index.js';

const x509 = await x509Library();

const HOUR = 3600 * 1000;

async function setup() {
  const clock = new FakeClock();
  const t = await mountForTest(createPkiEngine(), { clock });
  await t.request('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec', ttl: '720h' });
  await t.request('update', 'roles/web', { allow_any_name: true, key_type: 'ec' });
  return { t, clock };
}

async function crlSerials(t: Awaited<ReturnType<typeof setup>>['t']): Promise<string[]> {
  const pem = String((await t.request('read', 'crl/pem'))?.raw?.body);
  return new x509.X509Crl(pem).entries.map((entry) => entry.serialNumber.toLowerCase());
}

const hex = (serial: unknown) => String(serial).replaceAll(':', '');

test('a revoked certificate is on the CRL, signed by the CA, and cert/:serial says when', async () => {
  const { t, clock } = await setup();
  const issued = (await t.request('update', 'issue/web', { common_name: 'a.test', ttl: '1h' }))?.data;
  clock.advance(60_000);
  const revoked = (await t.request('update', 'revoke', { serial_number: issued?.serial_number }))?.data;
  assert.equal(revoked?.revocation_time, Math.floor(clock.now() / 1000));
  assert.equal(revoked?.state, 'revoked');
  assert.deepEqual(await crlSerials(t), [hex(issued?.serial_number)]);
  const ca = new X509Certificate(String((await t.request('read', 'cert/ca'))?.data?.certificate));
  const crl = new x509.X509Crl(String((await t.request('read', 'crl/pem'))?.raw?.body));
  assert.ok(await crl.verify({ publicKey: new x509.X509Certificate(ca.raw) }));
  const read = (await t.request('read', `cert/${String(issued?.serial_number).replaceAll(':', '-')}`))?.data;
  assert.equal(read?.revocation_time, revoked?.revocation_time);
  // Revoking again changes nothing.
  const again = (await t.request('update', 'revoke', { serial_number: issued?.serial_number }))?.data;
  assert.equal(again?.revocation_time, revoked?.revocation_time);
});

test('revoke refuses an unknown serial and the CA itself', async () => {
  const { t } = await setup();
  assert.equal(
    (await rejection(t.request('update', 'revoke', { serial_number: '01:02' }))).message,
    'certificate with serial 01:02 not found',
  );
  const ca = (await t.request('read', 'cert/ca'))?.data?.certificate;
  const serial = new X509Certificate(String(ca)).serialNumber.toLowerCase().match(/../g)?.join(':');
  assert.equal((await rejection(t.request('update', 'revoke', { serial_number: serial }))).status, 400);
});

test('tidy keeps a revoked certificate on the CRL until it expired past the safety buffer (CVE-2021-27668)', async () => {
  const { t, clock } = await setup();
  const short = (await t.request('update', 'issue/web', { common_name: 'short.test', ttl: '1h' }))?.data;
  const long = (await t.request('update', 'issue/web', { common_name: 'long.test', ttl: '200h' }))?.data;
  await t.request('update', 'revoke', { serial_number: short?.serial_number });
  await t.request('update', 'revoke', { serial_number: long?.serial_number });
  const both = [hex(short?.serial_number), hex(long?.serial_number)].sort();

  const tidyAll = { tidy_cert_store: true, tidy_revoked_certs: true, safety_buffer: '72h' };
  const response = await t.request('update', 'tidy', tidyAll);
  assert.equal(response?.httpStatus, 202);
  assert.deepEqual((await crlSerials(t)).sort(), both, 'nothing has expired yet');

  clock.advance(2 * HOUR); // short has expired, but not past the buffer
  await t.request('update', 'tidy', tidyAll);
  assert.deepEqual((await crlSerials(t)).sort(), both);

  clock.advance(72 * HOUR); // short expired 73h ago: past the buffer
  await t.request('update', 'tidy', tidyAll);
  assert.deepEqual(await crlSerials(t), [hex(long?.serial_number)]);
  assert.equal(await t.request('read', `cert/${short?.serial_number}`), undefined);
  assert.ok((await t.request('read', `cert/${long?.serial_number}`))?.data?.certificate);
});

test('tidy needs something to do', async () => {
  const { t } = await setup();
  assert.equal((await rejection(t.request('update', 'tidy', {}))).status, 400);
});

test('a generate_lease role gives a lease whose revocation revokes the certificate', async () => {
  const { t } = await setup();
  await t.request('update', 'roles/leased', {
    allow_any_name: true,
    key_type: 'ec',
    generate_lease: true,
    ttl: '1h',
  });
  const response = await t.request('update', 'issue/leased', { common_name: 'l.test' });
  assert.equal(response?.secret?.ttlSeconds, 3600);
  const engine = createPkiEngine();
  await engine.secrets?.[0].revoke(t.ctx, {
    leaseId: 'x',
    internalData: response?.secret?.internalData ?? {},
    issueTime: 0,
    expireTime: 0,
  });
  assert.deepEqual(await crlSerials(t), [hex(response?.data?.serial_number)]);
});

/**
 * Storage that forces the interleaving a CRL lock must survive: the first revocation's entry is saved at
 * once, later ones only after a short delay (so the first rebuild lists only its own), and the first
 * CRL save waits until every other revocation's CRL has been saved (or 100 ms). Without the lock the
 * first rebuild's stale CRL lands last and drops the other serials; with it, each rebuild runs alone.
 */
class InterleavingBackend extends InmemBackend {
  /** Set once the CA and the certificates exist: root generation saves a CRL of its own. */
  concurrentRevocations = 0;
  private revocations = 0;
  private crls = 0;
  private crlSaved: () => void = () => undefined;
  private readonly laterCrlSaved = new Promise<void>((resolve) => {
    this.crlSaved = resolve;
  });

  override async put(key: string, value: Uint8Array): Promise<void> {
    if (this.concurrentRevocations === 0) return super.put(key, value);
    if (key.includes('/revoked/') && this.revocations++ > 0) await delay(20);
    if (key.includes('/crls/')) {
      if (this.crls++ === 0) await Promise.race([this.laterCrlSaved, delay(100)]);
      else if (this.crls === this.concurrentRevocations) this.crlSaved();
    }
    return super.put(key, value);
  }
}

test('concurrent revocations all end up on the CRL, whatever order their writes land in', async () => {
  const clock = new FakeClock();
  const backend = new InterleavingBackend();
  const t = await mountForTest(createPkiEngine(), { clock, backend });
  await t.request('update', 'root/generate/internal', { common_name: 'Root', key_type: 'ec', ttl: '720h' });
  await t.request('update', 'roles/web', { allow_any_name: true, key_type: 'ec' });
  const serials: string[] = [];
  for (let i = 0; i < 3; i++)
    serials.push(
      String(
        (await t.request('update', 'issue/web', { common_name: `c${i}.test`, ttl: '1h' }))?.data
          ?.serial_number,
      ),
    );
  backend.concurrentRevocations = serials.length;
  await Promise.all(serials.map((serial_number) => t.request('update', 'revoke', { serial_number })));
  assert.deepEqual((await crlSerials(t)).sort(), serials.map(hex).sort());
});
