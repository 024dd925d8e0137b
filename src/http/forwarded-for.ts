/**
 * The client address behind a trusted proxy, as Vault's tcp listener reads X-Forwarded-For: only when
 * `x_forwarded_for_authorized_addrs` is set, and then only from a peer inside those CIDRs. Everything
 * downstream (quotas, audit `remote_address`, CIDR-bound tokens and secret IDs) sees the result.
 */
import { isIP } from 'node:net';
import { cidrMatcher } from '../core/cidr.js';
import { invalid } from '../core/errors.js';

export interface ForwardedForOptions {
  /** CIDRs of the proxies whose header is trusted; the feature is off without any. */
  authorizedAddrs: string[];
  /** How many addresses to skip from the end of the chain (the proxies' own hops). */
  hopSkips: number;
  /** A header from a peer outside `authorizedAddrs` is refused (true) or ignored (false). */
  rejectNotAuthorized: boolean;
  /** A request without the header is refused (true) or served with its peer address (false). */
  rejectNotPresent: boolean;
}

export interface ClientAddress {
  address: string;
  port: number | undefined;
  /** The header came from a peer that is not trusted and was ignored: it must not reach audit either. */
  untrustedHeader?: boolean;
}

export type ClientAddressOf = (
  peerAddress: string | undefined,
  peerPort: number | undefined,
  header: string | undefined,
) => ClientAddress;

/** The longest text form of an IPv6 address (IPv4-mapped): anything longer is not one. */
const MAX_ADDRESS_LENGTH = 45;

/** Builds the per-request resolver once; it throws Vault's 400s. */
export function forwardedForResolver(options: ForwardedForOptions): ClientAddressOf {
  const authorized = cidrMatcher(options.authorizedAddrs);
  return (peerAddress, peerPort, header) => {
    const peer = { address: peerAddress ?? '', port: peerPort };
    if (header === undefined) {
      if (!options.rejectNotPresent) return peer;
      throw invalid('missing x-forwarded-for header and configured to reject when not present');
    }
    if (peerAddress === undefined || !isIP(peerAddress)) {
      if (!options.rejectNotPresent) return peer;
      throw invalid('error parsing client address');
    }
    if (!authorized(peerAddress)) {
      if (!options.rejectNotAuthorized) return { ...peer, untrustedHeader: true };
      throw invalid('client address not authorized for x-forwarded-for and configured to reject connection');
    }
    // As Vault's listener: the hop `hopSkips` from the end is the client, and only it is read. The
    // hops before it are whatever the client sent (a proxy appends to the header it received), so
    // they may not change the answer; and once the peer is a trusted proxy, the answer is never the
    // peer itself, so a malformed chosen hop is refused whatever reject_not_present says.
    const chain = header.split(',');
    const index = chain.length - 1 - options.hopSkips;
    // Vault's text; its "chain length" counts header lines, this one the addresses.
    if (index < 0)
      throw invalid(
        `malformed x-forwarded-for configuration or request, hops to skip (${options.hopSkips}) would skip before earliest chain link (chain length ${chain.length})`,
      );
    const address = parseHop(chain[index].trim());
    // The hop is not echoed: it is caller text of any length.
    if (address === undefined) throw invalid('error parsing client address from x-forwarded-for header');
    // Vault keeps the connection's port: a hop names an address only.
    return { address, port: peerPort };
  };
}

/**
 * One hop: `ip`, `ip:port` or `[ipv6]:port`, as a canonical address (an IPv4-mapped IPv6 address as
 * its IPv4 form, IPv6 compressed), so one client is one rate-limit bucket whatever its spelling.
 * Zone IDs (`fe80::1%eth0`, which Node's isIP accepts at any length) are refused: they name no
 * remote client, and a long one would make every per-client table entry as long.
 */
function parseHop(text: string): string | undefined {
  const match = /^\[([^\]]+)\]:\d{1,5}$/.exec(text) ?? /^([^:]+):\d{1,5}$/.exec(text);
  const address = match ? match[1] : text;
  if (address.length > MAX_ADDRESS_LENGTH || address.includes('%')) return undefined;
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  // The URL parser writes IPv6 in its canonical form, and a mapped IPv4 address as ::ffff:hhhh:hhhh.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [Number.parseInt(mapped[1], 16), Number.parseInt(mapped[2], 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
