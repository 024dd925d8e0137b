import assert from 'node:assert/strict';
import { Agent, get, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { createListener, type Listener } from './index.js';

const listeners: Listener[] = [];
after(async () => {
  for (const listener of listeners) await listener.close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const listener = createListener(handler);
  listeners.push(listener);
  return (await listener.listen(0, '127.0.0.1')).port;
}

function fetchText(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('responses ended in one turn reach their sockets together at the end of that turn', async () => {
  const held: ServerResponse[] = [];
  const written: { atEnd: number[]; afterTurn: number[] } = { atEnd: [], afterTurn: [] };
  const port = await serve((_req, res) => {
    held.push(res);
    if (held.length < 2) return;
    // Both requests are here: end both in this turn, then look at what reached each socket.
    // The sockets are taken first: a finished response lets go of its socket.
    const sockets = held.map((response) => response.socket);
    for (const [i, response] of held.entries()) response.end(`answer ${i}`);
    written.atEnd = sockets.map((socket) => socket?.bytesWritten ?? -1);
    setImmediate(() => {
      written.afterTurn = sockets.map((socket) => socket?.bytesWritten ?? -1);
    });
  });
  // Two connections, so the two responses go to two sockets.
  const answers = await Promise.all([
    fetchText(port, '/a', new Agent({ keepAlive: false })),
    fetchText(port, '/b', new Agent({ keepAlive: false })),
  ]);
  assert.deepEqual(answers.map((a) => a.body).sort(), ['answer 0', 'answer 1']);
  assert.deepEqual(written.atEnd, [0, 0], 'nothing is written by end() itself');
  assert.ok(
    written.afterTurn.every((bytes) => bytes > 0),
    `both written by the end of the turn: ${written.afterTurn}`,
  );
});

test("end()'s callback, finish and writableEnded come one turn later, as Node gives them", async () => {
  const events: string[] = [];
  const port = await serve((_req, res) => {
    res.on('finish', () => events.push('finish'));
    res.writeHead(201, { 'Content-Type': 'text/plain' });
    res.end('héllo', 'utf8', () => events.push('callback'));
    // Read at once, and again in the turn after: the end took effect in between.
    events.push(`writableEnded ${res.writableEnded}`);
    setImmediate(() => events.push(`next turn writableEnded ${res.writableEnded}`));
  });
  const answer = await fetchText(port, '/');
  assert.deepEqual(answer, { status: 201, body: 'héllo' });
  assert.deepEqual(events.sort(), [
    'callback',
    'finish',
    'next turn writableEnded true',
    'writableEnded false',
  ]);
});

test('a second end() gets Node’s write-after-end error; the first answer is what the client reads', async () => {
  let secondEnd: string | undefined;
  let errorEvent: string | undefined;
  const port = await serve((_req, res) => {
    res.on('error', (error: NodeJS.ErrnoException) => {
      errorEvent = error.code;
    });
    res.end('first');
    res.end('second', (error?: NodeJS.ErrnoException | null) => {
      secondEnd = error?.code;
    });
  });
  assert.equal((await fetchText(port, '/')).body, 'first');
  assert.equal(secondEnd, 'ERR_STREAM_WRITE_AFTER_END');
  assert.equal(errorEvent, 'ERR_STREAM_WRITE_AFTER_END');
});

test('a piped body is written whole, and an end after the client left is harmless', async () => {
  const chunks = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(2000)}`);
  let late: Promise<void> | undefined;
  const port = await serve((req, res) => {
    if (req.url === '/piped') {
      Readable.from(chunks).pipe(res);
      return;
    }
    // The client is gone before this end() and before the turn's flush.
    late = new Promise((resolve) => {
      req.socket.destroy();
      setTimeout(() => {
        res.end('too late');
        setImmediate(resolve);
      }, 20);
    });
  });
  assert.equal((await fetchText(port, '/piped')).body, chunks.join(''));
  await assert.rejects(fetchText(port, '/gone'));
  await late;
  // The listener still serves after it.
  assert.equal((await fetchText(port, '/piped')).body.length, chunks.join('').length);
});
