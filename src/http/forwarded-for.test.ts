import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CofferError } from '../core/errors.js';
import { type ForwardedForOptions, forwardedForResolver } from './forwarded-for.js';

const strict: ForwardedForOptions = {
  authorizedAddrs: ['10.0.0.0/8', '::1'],
  hopSkips: 0,
  rejectNotAuthorized: true,
  rejectNotPresent: true,
};
const lenient = { ...strict, rejectNotAuthorized: false, rejectNotPresent: false };

const cases = [
  {
    name: 'a trusted proxy names the client',
    options: strict,
    peer: '10.1.2.3',
    header: '203.0.113.9',
    client: '203.0.113.9',
  },
  {
    name: 'the last hop is the client by default',
    options: strict,
    peer: '10.1.2.3',
    header: '198.51.100.1, 203.0.113.9',
    client: '203.0.113.9',
  },
  {
    name: 'hop skips walk back the chain',
    options: { ...strict, hopSkips: 1 },
    peer: '10.1.2.3',
    header: '198.51.100.1, 203.0.113.9',
    client: '198.51.100.1',
  },
  {
    name: 'a dual-stack IPv4 peer is matched as IPv4',
    options: strict,
    peer: '::ffff:10.1.2.3',
    header: '203.0.113.9',
    client: '203.0.113.9',
  },
  {
    name: 'an IPv6 peer and an IPv6 hop',
    options: strict,
    peer: '::1',
    header: '2001:db8::7',
    client: '2001:db8::7',
  },
  {
    name: "a hop with a port: the connection's port is kept, as Vault does",
    options: strict,
    peer: '10.1.2.3',
    header: '[2001:db8::7]:4431',
    client: '2001:db8::7',
  },
  {
    name: 'an IPv4-mapped hop is its IPv4 address (one client, one bucket)',
    options: strict,
    peer: '10.1.2.3',
    header: '::ffff:203.0.113.9',
    client: '203.0.113.9',
  },
  {
    name: 'an IPv6 hop is written canonically',
    options: strict,
    peer: '10.1.2.3',
    header: '2001:0DB8:0:0:0:0:0:7',
    client: '2001:db8::7',
  },
  {
    name: 'a zone ID is refused (any length would be accepted by isIP)',
    options: strict,
    peer: '10.1.2.3',
    header: `fe80::1%${'x'.repeat(4000)}`,
    error: 'error parsing client address from x-forwarded-for header',
  },
  {
    name: 'what the client wrote before the chosen hop cannot change the answer',
    options: lenient,
    peer: '10.1.2.3',
    header: 'garbage, , 203.0.113.9',
    client: '203.0.113.9',
  },
  {
    name: 'an untrusted peer is refused',
    options: strict,
    peer: '192.0.2.1',
    header: '203.0.113.9',
    error: 'client address not authorized for x-forwarded-for and configured to reject connection',
  },
  {
    name: 'an untrusted peer is ignored when so configured',
    options: lenient,
    peer: '192.0.2.1',
    header: '203.0.113.9',
    client: '192.0.2.1',
    untrusted: true,
  },
  {
    name: 'a missing header is refused',
    options: strict,
    peer: '10.1.2.3',
    header: undefined,
    error: 'missing x-forwarded-for header and configured to reject when not present',
  },
  {
    name: 'a missing header is allowed when so configured',
    options: lenient,
    peer: '10.1.2.3',
    header: undefined,
    client: '10.1.2.3',
  },
  {
    name: 'a malformed chosen hop is refused',
    options: strict,
    peer: '10.1.2.3',
    header: 'not-an-ip',
    error: 'error parsing client address from x-forwarded-for header',
  },
  {
    // The peer is the trusted proxy: falling back to it would hand the client the proxy's address.
    name: 'a malformed chosen hop is refused even when a missing header is allowed',
    options: lenient,
    peer: '10.1.2.3',
    header: '203.0.113.9, not-an-ip',
    error: 'error parsing client address from x-forwarded-for header',
  },
  {
    name: 'too many hop skips are refused',
    options: { ...lenient, hopSkips: 2 },
    peer: '10.1.2.3',
    header: '203.0.113.9',
    error:
      'malformed x-forwarded-for configuration or request, hops to skip (2) would skip before earliest chain link (chain length 1)',
  },
];

for (const c of cases) {
  test(`X-Forwarded-For: ${c.name}`, () => {
    const resolve = forwardedForResolver(c.options);
    if (c.error) {
      assert.throws(
        () => resolve(c.peer, 5000, c.header),
        (error: unknown) => error instanceof CofferError && error.status === 400 && error.message === c.error,
      );
      return;
    }
    const expected = { address: c.client, port: 5000, ...(c.untrusted ? { untrustedHeader: true } : {}) };
    assert.deepEqual(resolve(c.peer, 5000, c.header), expected);
  });
}
