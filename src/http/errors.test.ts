import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createLogger } from '../framework/log.js';
import { writeError } from './errors.js';

/** Answers one request with writeError(error); returns the response and what was logged. */
async function answerWith(error: unknown): Promise<{ status: number; body: string; logged: string }> {
  let logged = '';
  const log = createLogger('info', 'core', (line) => {
    logged += line;
    return true;
  });
  const server = createServer((_req, res) => writeError(res, error, log, 'req-1'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/`, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      }).on('error', reject);
    });
    return { status, body, logged };
  } finally {
    server.close();
  }
}

test('an unclassified error is a 500 whose log names its code but never its text', async () => {
  const error = Object.assign(new Error('password=hunter2 in a driver message'), { code: 'SQLITE_BUSY' });
  const { status, body, logged } = await answerWith(error);
  assert.equal(status, 500);
  assert.deepEqual(JSON.parse(body), { errors: ['internal error'] });
  assert.match(logged, /request failed \{"request_id":"req-1","error":"Error","code":"SQLITE_BUSY"\}/);
  assert.doesNotMatch(logged, /hunter2/);
});

test('a code that is not a short identifier is left out of the log', async () => {
  const error = Object.assign(new Error('x'), { code: 'secret value with spaces' });
  const { logged } = await answerWith(error);
  assert.doesNotMatch(logged, /secret value/);
  assert.match(logged, /"error":"Error"\}/);
});
