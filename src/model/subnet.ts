// IPv4 subnets of tenant Networks: parsing a CIDR, the host addresses it holds, and the /N
// blocks a pool is cut into. Address arithmetic on 32-bit numbers; parsing by ipaddr.js.
import ipaddr from 'ipaddr.js';

/** Shortest and longest prefix a Network may have: /16 (65,534 hosts) to /29 (the server, 5 VMs). */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 29;

export interface Subnet {
  /** The network address as a 32-bit number. */
  base: number;
  prefix: number;
}

const toNumber = (a: ipaddr.IPv4): number => a.toByteArray().reduce((n, b) => n * 256 + b, 0);
export const ipOf = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');

/** Parses "10.0.0.0/24"; why not, as a sentence, when it is not an IPv4 network address with a prefix. */
export function parseSubnet(cidr: string): Subnet | string {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    [addr, prefix] = ipaddr.parseCIDR(cidr);
  } catch {
    return `"${cidr}" is not a CIDR such as 10.0.0.0/24`;
  }
  if (addr.kind() !== 'ipv4') return `"${cidr}" is not IPv4: tenant Networks are IPv4`;
  const base = toNumber(addr as ipaddr.IPv4);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return `"${cidr}" has host bits set: its network address is ${ipOf((base & mask) >>> 0)}/${prefix}`;
  return { base, prefix };
}

export const formatSubnet = (s: Subnet): string => `${ipOf(s.base)}/${s.prefix}`;
export const subnetSize = (s: Subnet): number => 2 ** (32 - s.prefix);

/** The address every node's DHCP and DNS server answers on: the subnet's first host. */
export const serverAddress = (s: Subnet): string => ipOf(s.base + 1);

/** Host addresses VMs may get, in order: after the server's, before the broadcast address. */
export function* vmAddresses(s: Subnet): Generator<string> {
  for (let i = 2; i < subnetSize(s) - 1; i++) yield ipOf(s.base + i);
}

export const vmAddressCount = (s: Subnet): number => Math.max(0, subnetSize(s) - 3);

/** Whether two subnets share any address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + subnetSize(b) && b.base < a.base + subnetSize(a);
}

/** The blocks of `prefix` inside `pool`, in order. */
export function* blocksOf(pool: Subnet, prefix: number): Generator<Subnet> {
  if (prefix < pool.prefix) return;
  const step = 2 ** (32 - prefix);
  for (let b = pool.base; b < pool.base + subnetSize(pool); b += step) yield { base: b, prefix };
}
