/** CIDR membership for token_bound_cidrs, secret_id_bound_cidrs and trusted proxies, IPv4 and IPv6. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** An IPv4 client on a dual-stack socket arrives as `::ffff:a.b.c.d`; CIDRs name it as `a.b.c.d`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function familyOf(ip: string): 'ipv4' | 'ipv6' | undefined {
  return isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
}

function addCidr(list: BlockList, cidr: string): boolean {
  const [network, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, undefined];
  const family = familyOf(network);
  if (!family) return false;
  list.addSubnet(network, Number(bits ?? (family === 'ipv4' ? 32 : 128)), family);
  return true;
}

function contains(list: BlockList, address: string): boolean {
  const ip = unmapped(address);
  const family = familyOf(ip);
  return family !== undefined && list.check(ip, family);
}

export function cidrAllows(cidr: string, address: string): boolean {
  const list = new BlockList();
  return addCidr(list, cidr) && contains(list, address);
}

/** One matcher for a fixed list, built once: for checks made on every request. */
export function cidrMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) addCidr(list, cidr);
  return (address) => contains(list, address);
}

export function isValidCidr(cidr: string): boolean {
  const [network, bits, extra] = cidr.split('/');
  if (extra !== undefined) return false;
  const max = isIPv4(network) ? 32 : isIPv6(network) ? 128 : -1;
  if (max < 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= max;
}
