import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { createListener, type Listener } from './index.js';

const seen: { method: string; url: string; body: string }[] = [];
function echoHandler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, body });
    const text = JSON.stringify({ method: req.method, url: req.url, body });
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
}

const listeners: Listener[] = [];
after(async () => {
  for (const l of listeners) await l.close();
});

async function start(options = {}) {
  const listener = createListener(echoHandler, options);
  listeners.push(listener);
  return listener.listen(0, '127.0.0.1');
}

function exchange(port: number, bytes: string | Buffer[], useTls = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = useTls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    // The quiet period only counts once everything is sent: a loaded machine can stall between bytes.
    let sent = false;
    const waitForQuiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        resolve(out);
      }, 500);
    };
    socket.on('data', (c) => {
      out += c;
      if (sent) waitForQuiet();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    const parts = typeof bytes === 'string' ? [Buffer.from(bytes)] : bytes;
    (async () => {
      for (const part of parts) {
        socket.write(part);
        if (parts.length > 1) await new Promise((r) => setTimeout(r, 1));
      }
      sent = true;
      waitForQuiet();
    })();
  });
}

const methodsIn = (raw: string) => [...raw.matchAll(/"method":"([A-Z]+)"/g)].map((m) => m[1]);

test('pipelined LIST, GET and POST in one write, and one byte at a time', async () => {
  const { port } = await start();
  const body = 'LIST /evil HTTP/1.1\r\n\r\n';
  const stream =
    'LIST /v1/a/ HTTP/1.1\r\nHost: x\r\n\r\n' +
    'GET /v1/b HTTP/1.1\r\nHost: x\r\n\r\n' +
    `POST /v1/c HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
    'LIST /v1/d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nLIST \r\n0\r\nT: 1\r\n\r\n';
  assert.deepEqual(methodsIn(await exchange(port, stream)), ['LIST', 'GET', 'POST', 'LIST']);
  const bytes = Buffer.from(stream);
  const oneByOne = Array.from(bytes, (b) => Buffer.from([b]));
  assert.deepEqual(methodsIn(await exchange(port, oneByOne)), ['LIST', 'GET', 'POST', 'LIST']);
});

test('an unknown token method gets 405 and the connection closes; an invalid one is refused', async () => {
  const { port } = await start();
  const unknown = await exchange(port, 'FOO /v1/x HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/after HTTP/1.1\r\n\r\n');
  assert.match(unknown, /^HTTP\/1\.1 405 [\s\S]*\r\n\r\n\{"errors":\[\]\}\n$/);
  assert.deepEqual(methodsIn(unknown), [], 'nothing behind the unknown method is served');
  const bad = await exchange(port, 'F{O /v1/x HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/y HTTP/1.1\r\n\r\n');
  assert.match(bad, /^HTTP\/1\.1 400/);
  assert.deepEqual(methodsIn(bad), []);
});

test('a keep-alive connection serves GET, then LIST, then GET, each in its own write', async () => {
  const { port } = await start();
  const raw = await exchange(port, [
    Buffer.from('GET /v1/one HTTP/1.1\r\nHost: x\r\n\r\n'),
    Buffer.from('LIST /v1/two/ HTTP/1.1\r\nHost: x\r\n\r\n'),
    Buffer.from('POST /v1/three HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi'),
  ]);
  assert.deepEqual(methodsIn(raw), ['GET', 'LIST', 'POST']);
  assert.match(raw, /"body":"hi"/);
});

test('a LIST behind a response still being written is answered after it, in order', async () => {
  const slow = createListener((req, res) => {
    const delay = req.url === '/v1/slow' ? 100 : 0;
    setTimeout(() => {
      const text = JSON.stringify({ method: req.method, url: req.url });
      res.writeHead(200, { 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    }, delay);
  });
  listeners.push(slow);
  const { port } = await slow.listen(0, '127.0.0.1');
  const raw = await exchange(
    port,
    'GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\nLIST /v1/fast/ HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/last HTTP/1.1\r\nHost: x\r\n\r\n',
  );
  assert.deepEqual(
    [...raw.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]),
    ['/v1/slow', '/v1/fast/', '/v1/last'],
  );
  assert.deepEqual(methodsIn(raw), ['GET', 'LIST', 'GET']);
});

test('Content-Length with Transfer-Encoding is refused and nothing behind it runs', async () => {
  const { port } = await start();
  const before = seen.length;
  const raw = await exchange(
    port,
    'POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nLIST /v1/smuggled HTTP/1.1\r\n\r\n',
  );
  assert.match(raw, /400/);
  assert.equal(
    seen.slice(before).some((s) => s.url.includes('smuggled')),
    false,
  );
});

test('LIST over TLS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const { port } = await start({
      tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) },
    });
    assert.deepEqual(methodsIn(await exchange(port, 'LIST /v1/secure/ HTTP/1.1\r\nHost: x\r\n\r\n', true)), [
      'LIST',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a socket destroyed mid-body does not crash the server', async () => {
  const { port } = await start();
  await new Promise<void>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 20);
    });
  });
  assert.deepEqual(methodsIn(await exchange(port, 'LIST /v1/after HTTP/1.1\r\nHost: x\r\n\r\n')), ['LIST']);
});

test('a client that never finishes its headers gets 408 and is disconnected after headersTimeout', async () => {
  const { port } = await start({ headersTimeoutMs: 500 });
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk;
  });
  socket.write('GET /v1/slow HTTP/1.1\r\nHost: x\r\n'); // and nothing more
  const closed = await new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 5000);
  });
  socket.destroy();
  assert.ok(closed, 'the connection was still open 5 s later');
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout/);
  assert.ok(performance.now() - started < 3000);
});

test('close() does not wait for idle keep-alive connections', async () => {
  const listener = createListener(echoHandler);
  const { port } = await listener.listen(0, '127.0.0.1');
  const agent = new Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    get({ port, host: '127.0.0.1', path: '/v1/x', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
  const started = performance.now();
  await listener.close();
  assert.ok(performance.now() - started < 1000, 'close waited for an idle connection');
  agent.destroy();
});

test('close() lets a busy keep-alive connection finish its response, then closes it (Connection: close)', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let arrived!: () => void;
  const inside = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const listener = createListener((_req, res) => {
    arrived();
    void gate.then(() => res.end('done'));
  });
  const { port } = await listener.listen(0, '127.0.0.1');
  const agent = new Agent({ keepAlive: true });
  const answered = new Promise<{ connection?: string; body: string; socketClosed: Promise<void> }>(
    (resolve, reject) => {
      get({ port, host: '127.0.0.1', path: '/v1/slow', agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        const socketClosed = new Promise<void>((done) => res.socket.once('close', () => done()));
        res.on('end', () => resolve({ connection: res.headers.connection, body, socketClosed }));
      }).on('error', reject);
    },
  );
  await inside;
  const started = performance.now();
  const closing = listener.close(10_000);
  release();
  const { connection, body, socketClosed } = await answered;
  assert.equal(body, 'done');
  assert.equal(connection, 'close');
  await socketClosed;
  await closing;
  assert.ok(performance.now() - started < 5000, 'close() waited for the grace period');
  agent.destroy();
});
