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
}

export type ClientAddressOf = (
  peerAddress: string | undefined,
  peerPort: number | undefined,
  header: string | undefined,
) => ClientAddress;

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
      if (!options.rejectNotAuthorized) return peer;
      throw invalid('client address not authorized for x-forwarded-for and configured to reject connection');
    }
    const chain: ClientAddress[] = [];
    for (const raw of header.split(',')) {
      const hop = parseHop(raw.trim());
      if (!hop) {
        if (!options.rejectNotPresent) return peer;
        throw invalid(`error parsing client address (${raw.trim()}) from header`);
      }
      chain.push(hop);
    }
    const index = chain.length - 1 - options.hopSkips;
    // Vault's text; its "chain length" counts header lines, this one the addresses.
    if (index < 0)
      throw invalid(
        `malformed x-forwarded-for configuration or request, hops to skip (${options.hopSkips}) would skip before earliest chain link (chain length ${chain.length})`,
      );
    // Vault keeps the connection's port when the hop names none.
    return { address: chain[index].address, port: chain[index].port ?? peerPort };
  };
}

/**
 * One hop: `ip`, `ip:port` or `[ipv6]:port`. A bare IPv6 address is taken as one, where Vault's
 * host:port split refuses it.
 */
function parseHop(text: string): ClientAddress | undefined {
  if (isIP(text)) return { address: text, port: undefined };
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  if (!match || !isIP(match[1])) return undefined;
  const port = Number(match[2]);
  return port <= 65535 ? { address: match[1], port } : undefined;
}
