import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FramingTracker } from './framing.js';

/** A tiny seeded PRNG so failures replay. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Generated {
  method: string;
  bytes: string;
}

function request(method: string, body: string, chunked: boolean): Generated {
  const head = `${method} /v1/x HTTP/1.1\r\nHost: h\r\n`;
  if (body === '') return { method, bytes: `${head}\r\n` };
  if (!chunked) return { method, bytes: `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` };
  const half = Math.floor(body.length / 2);
  const parts = [body.slice(0, half), body.slice(half)].filter(Boolean);
  const chunks = parts.map((p) => `${Buffer.byteLength(p).toString(16)};ext=1\r\n${p}\r\n`).join('');
  return { method, bytes: `${head}Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\nX-Trailer: t\r\n\r\n` };
}

function feedAll(bytes: Buffer, cuts: number[]) {
  const tracker = new FramingTracker();
  const out: Buffer[] = [];
  const methods: string[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const r = tracker.feed(bytes.subarray(at, cut));
    out.push(...r.output);
    methods.push(...r.methods);
    at = cut;
  }
  return { output: Buffer.concat(out).toString('latin1'), methods, passthrough: tracker.passthrough };
}

test('LIST is recorded and rewritten to GET; known methods pass unchanged', () => {
  const r = feedAll(
    Buffer.from('LIST /v1/a/ HTTP/1.1\r\nHost: h\r\n\r\nPOST /v1/b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi'),
    [],
  );
  assert.deepEqual(r.methods, ['LIST', 'POST']);
  assert.ok(r.output.startsWith('GET /v1/a/ HTTP/1.1'));
  assert.ok(r.output.includes('POST /v1/b HTTP/1.1'));
});

test('a body that looks like a request is never rewritten', () => {
  const evil = 'LIST /evil HTTP/1.1\r\n\r\n';
  const r = feedAll(Buffer.from(request('POST', evil, false).bytes + request('LIST', '', false).bytes), []);
  assert.deepEqual(r.methods, ['POST', 'LIST']);
  assert.ok(r.output.includes(evil));
});

test('Content-Length with Transfer-Encoding switches to pass-through', () => {
  const r = feedAll(
    Buffer.from('LIST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    [],
  );
  assert.deepEqual(r.methods, []);
  assert.equal(r.passthrough, true);
  assert.ok(r.output.startsWith('LIST'), 'left for llhttp to reject');
});

test('random pipelines split at random byte boundaries frame exactly', () => {
  const random = prng(42);
  const methods = ['GET', 'LIST', 'POST', 'PUT', 'DELETE', 'FOO', 'LIST'];
  for (let round = 0; round < 300; round++) {
    const generated: Generated[] = [];
    const count = 1 + Math.floor(random() * 6);
    for (let i = 0; i < count; i++) {
      const method = methods[Math.floor(random() * methods.length)];
      const body =
        random() < 0.5 ? '' : `{"x":"${'LIST /a HTTP/1.1\r\n\r\n'.repeat(Math.floor(random() * 3))}é"}`;
      generated.push(request(method, body, random() < 0.5));
    }
    const bytes = Buffer.from(generated.map((g) => g.bytes).join(''));
    const cuts = Array.from({ length: Math.floor(random() * 8) }, () =>
      Math.floor(random() * bytes.length),
    ).sort((a, b) => a - b);
    const r = feedAll(bytes, cuts);
    assert.deepEqual(
      r.methods,
      generated.map((g) => g.method),
      `round ${round}`,
    );
    const expected = generated
      .map((g) =>
        ['GET', 'POST', 'PUT', 'DELETE'].includes(g.method)
          ? g.bytes
          : `GET${g.bytes.slice(g.method.length)}`,
      )
      .join('');
    assert.equal(r.output, Buffer.from(expected).toString('latin1'));
  }
});
