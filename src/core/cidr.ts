/** CIDR membership for token_bound_cidrs and secret_id_bound_cidrs, IPv4 and IPv6. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export function cidrAllows(cidr: string, address: string): boolean {
  const ip = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return false;
  const [network, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, family === 'ipv4' ? '32' : '128'];
  const netFamily = isIPv4(network) ? 'ipv4' : isIPv6(network) ? 'ipv6' : undefined;
  if (netFamily !== family) return false;
  const list = new BlockList();
  list.addSubnet(network, Number(bits), family);
  return list.check(ip, family);
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
