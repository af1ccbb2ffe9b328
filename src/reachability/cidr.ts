import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 or IPv6 address as an unsigned integer of 32 or 128 bits. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A prefix: `network` has its host bits cleared so containment is one shift and compare. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly network: bigint;
  readonly text: string;
}

const width = { 4: 32, 6: 128 } as const;

export function parseIp(text: string): IpAddress | undefined {
  const address = text.split('%')[0] as string;
  if (isIPv4(address)) return { family: 4, value: ipv4Value(address) };
  if (isIPv6(address)) return { family: 6, value: ipv6Value(address) };
  return undefined;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(address: string): bigint {
  const [head, tail] = address.includes('::') ? address.split('::') as [string, string] : [address, undefined];
  const groups = (part: string | undefined): string[] => (part === undefined || part === '' ? [] : part.split(':').flatMap(expandDotted));
  const left = groups(head);
  const right = groups(tail);
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].reduce((sum, group) => (sum << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** `::ffff:192.0.2.1` ends in dotted IPv4: two 16-bit groups. */
function expandDotted(group: string): string[] {
  if (!group.includes('.')) return [group];
  const value = Number(ipv4Value(group));
  return [(value >>> 16).toString(16), (value & 0xffff).toString(16)];
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`. Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`), as
 * CNI plugins do with what older API servers accepted.
 */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (match === null) return undefined;
  const address = parseIp(match[1] as string);
  const prefix = Number(match[2]);
  if (address === undefined || prefix > width[address.family]) return undefined;
  const hostBits = BigInt(width[address.family] - prefix);
  return { family: address.family, prefix, network: (address.value >> hostBits) << hostBits, text };
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const hostBits = BigInt(width[cidr.family] - cidr.prefix);
  return address.value >> hostBits === cidr.network >> hostBits;
}
