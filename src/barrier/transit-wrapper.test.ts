import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeClock } from '../framework/clock.js';
import type { Logger } from '../framework/log.js';
import { SealToken, TransitWrapper } from './transit-wrapper.js';

const TOKEN = 'hvs.CANARY_wrapper_token_91c2';

/** A transit endpoint that "encrypts" by reversing base64 text, and records what it was sent. */
function fakeTransit() {
  const seen: { path: string; token: string; body: Record<string, unknown> }[] = [];
  let renewal = { status: 200, body: { auth: { renewable: true, lease_duration: 3600 } } as unknown };
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text || '{}');
    const path = req.url!.replace(/^\/v1\//, '');
    seen.push({ path, token: String(req.headers['x-vault-token']), body });
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (path === 'auth/token/renew-self') return reply(renewal.status, renewal.body);
    if (path === 'transit/encrypt/seal-key')
      return reply(200, { data: { ciphertext: `vault:v1:${[...body.plaintext].reverse().join('')}` } });
    if (path === 'transit/decrypt/seal-key')
      return reply(200, { data: { plaintext: [...body.ciphertext.slice(9)].reverse().join('') } });
    return reply(403, { errors: ['permission denied'] });
  });
  return {
    server,
    seen,
    setRenewal: (status: number, value: unknown) => {
      renewal = { status, body: value };
    },
  };
}

function recordingLog(lines: string[]): Logger {
  const log = (m: string, f?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(f ?? {})}`);
  return { debug: log, info: log, warn: log, error: log, child: () => recordingLog(lines) };
}

describe('transit seal wrapper', () => {
  const fake = fakeTransit();
  let address = '';
  before(async () => {
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(fake.server.address() as { port: number }).port}`;
  });
  after(() => fake.server.close());

  const wrapper = (keyName = 'seal-key', lines: string[] = [], clock = new FakeClock()) =>
    new TransitWrapper(
      {
        address,
        token: new SealToken(TOKEN),
        keyName,
        mountPath: '/transit/',
        tls: {},
        disableRenewal: false,
      },
      { log: recordingLog(lines), clock },
    );

  test('encrypts and decrypts through <mount>/encrypt|decrypt/<key> with the token in the header', async () => {
    const w = wrapper();
    const ciphertext = await w.encrypt(Buffer.from('root key bytes'));
    assert.match(ciphertext, /^vault:v1:/);
    assert.equal(Buffer.from(await w.decrypt(ciphertext)).toString(), 'root key bytes');
    const encrypt = fake.seen.find((s) => s.path === 'transit/encrypt/seal-key')!;
    assert.equal(encrypt.token, TOKEN);
    assert.equal(encrypt.body.plaintext, Buffer.from('root key bytes').toString('base64'));
    w.close();
  });

  test('a refusal names the operation and the remote error, never the token', async () => {
    const w = wrapper('wrong-key');
    await assert.rejects(w.encrypt(Buffer.from('x')), (error: Error & { refused?: boolean }) => {
      assert.equal(error.message, 'transit seal: encrypt was refused (HTTP 403): permission denied');
      assert.equal(error.refused, true);
      return true;
    });
    w.close();
  });

  for (const c of [
    { name: 'trickling a byte at a time', code: 'ERR_CLIENT_TIMEOUT' },
    { name: 'streaming without end', code: 'ERR_RESPONSE_TOO_LARGE' },
  ]) {
    test(`a remote ${c.name} is cut off, not waited on for ever`, async () => {
      const timers: NodeJS.Timeout[] = [];
      const hostile = createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"data":{"plaintext":"');
        // Each write well inside the idle timeout, so only a bound on the whole exchange ends it.
        const chunk = c.code === 'ERR_CLIENT_TIMEOUT' ? 'A' : 'A'.repeat(64 * 1024);
        timers.push(setInterval(() => res.write(chunk), c.code === 'ERR_CLIENT_TIMEOUT' ? 50 : 1));
      });
      await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
      const w = new TransitWrapper(
        {
          address: `http://127.0.0.1:${(hostile.address() as { port: number }).port}`,
          token: new SealToken(TOKEN),
          keyName: 'k',
          mountPath: 't',
          tls: {},
          disableRenewal: false,
        },
        { log: recordingLog([]), clock: new FakeClock(), timeoutMs: 500 },
      );
      try {
        const outcome = await Promise.race([
          w.decrypt('vault:v1:x').then(
            () => 'answered',
            (error: Error) => error.message,
          ),
          sleep(5000).then(() => 'still waiting after 5 s'),
        ]);
        assert.equal(outcome, `transit seal: the transit server could not be reached (${c.code})`);
      } finally {
        for (const t of timers) clearInterval(t);
        w.close();
        hostile.closeAllConnections();
        hostile.close();
      }
    });
  }

  test('an unreachable server is an error with the code only', async () => {
    const w = new TransitWrapper(
      {
        address: 'http://127.0.0.1:9',
        token: new SealToken(TOKEN),
        keyName: 'k',
        mountPath: 't',
        tls: {},
        disableRenewal: false,
      },
      { log: recordingLog([]), clock: new FakeClock() },
    );
    await assert.rejects(w.decrypt('vault:v1:x'), {
      message: 'transit seal: the transit server could not be reached (ECONNREFUSED)',
    });
    w.close();
  });

  test('renews the token at once, then at two thirds of its lease; a refusal stops renewal', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const w = wrapper('seal-key', lines, clock);
    const renewals = () => fake.seen.filter((s) => s.path === 'auth/token/renew-self').length;
    const before = renewals();
    w.startRenewal();
    await sleep(100);
    assert.equal(renewals(), before + 1);
    clock.advance(2_399_000);
    await sleep(50);
    assert.equal(renewals(), before + 1, 'not before two thirds of 3600 s');
    fake.setRenewal(403, { errors: ['permission denied'] });
    clock.advance(1_000);
    await sleep(100);
    assert.equal(renewals(), before + 2);
    clock.advance(10_000_000);
    await sleep(50);
    assert.equal(renewals(), before + 2, 'renewal disabled after a refusal');
    assert.ok(lines.some((l) => l.includes('unable to renew the transit seal token')));
    assert.equal(lines.join('\n').includes(TOKEN), false);
    w.close();
  });
});
