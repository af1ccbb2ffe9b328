import { type Protocol, protocols } from '../reachability/model.ts';
import type { PortRule } from '../reachability/ports.ts';
import { clip, quoteList } from './brief.ts';

/** Inclusive [first, last]. */
export type PortRange = readonly [number, number];

/** Ports per protocol as sorted, disjoint, non-touching ranges. */
export type PortSet = Readonly<Record<Protocol, readonly PortRange[]>>;

const maxPort = 65535;

export const noPorts: PortSet = { TCP: [], UDP: [], SCTP: [] };
export const allPorts: PortSet = { TCP: [[1, maxPort]], UDP: [[1, maxPort]], SCTP: [[1, maxPort]] };

/** One protocol's ports; `first` undefined means every port of it. */
export function portsOf(protocol: Protocol, first?: number, last?: number): PortSet {
  const range: PortRange = first === undefined ? [1, maxPort] : [first, last ?? first];
  return { ...noPorts, [protocol]: [range] };
}

/**
 * What a rule entry may reach. A named port resolves against whatever container ports the
 * pods declare, and the people who write the policy also write the pods: it may be any number.
 */
export function portRuleSet(rule: PortRule): PortSet {
  if (typeof rule.port === 'number') return portsOf(rule.protocol, rule.port, rule.endPort);
  return portsOf(rule.protocol);
}

/** A rule's `ports`: empty means every port of every protocol. One sort per protocol, however many entries. */
export function portRulesSet(rules: readonly PortRule[]): PortSet {
  if (rules.length === 0) return allPorts;
  const ranges: Record<Protocol, PortRange[]> = { TCP: [], UDP: [], SCTP: [] };
  for (const rule of rules) {
    const set = portRuleSet(rule);
    ranges[rule.protocol].push(...set[rule.protocol]);
  }
  return { TCP: merge(ranges.TCP), UDP: merge(ranges.UDP), SCTP: merge(ranges.SCTP) };
}

export function unionPorts(a: PortSet, b: PortSet): PortSet {
  const union = (protocol: Protocol): PortRange[] => merge([...a[protocol], ...b[protocol]]);
  return { TCP: union('TCP'), UDP: union('UDP'), SCTP: union('SCTP') };
}

function merge(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [first, last] of sorted) {
    const previous = merged.at(-1);
    if (previous !== undefined && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else merged.push([first, last]);
  }
  return merged;
}

/** Is every port of `a` in `b`? `b` is merged, so each range of `a` must sit inside one of its ranges. */
export function portsWithin(a: PortSet, b: PortSet): boolean {
  return protocols.every((protocol) => a[protocol].every(([first, last]) => b[protocol].some(([from, to]) => first >= from && last <= to)));
}

export function isEmptyPortSet(set: PortSet): boolean {
  return protocols.every((protocol) => set[protocol].length === 0);
}

/** `port 8082`, `ports 8081, 9000-9100 and UDP port 53`, `any TCP port`, `any port`. */
export function describePortSet(set: PortSet): string {
  if (protocols.every((protocol) => coversProtocol(set, protocol))) return 'any port';
  const parts = protocols.filter((protocol) => set[protocol].length > 0).map((protocol) => describeProtocolPorts(protocol, set[protocol]));
  return parts.length === 0 ? 'no port' : joinWords(parts);
}

function coversProtocol(set: PortSet, protocol: Protocol): boolean {
  const ranges = set[protocol];
  return ranges.length === 1 && ranges[0]?.[0] === 1 && ranges[0][1] === maxPort;
}

function describeProtocolPorts(protocol: Protocol, ranges: readonly PortRange[]): string {
  const prefix = protocol === 'TCP' ? '' : `${protocol} `;
  if (ranges.length === 1 && ranges[0]?.[0] === 1 && ranges[0][1] === maxPort) return `any ${protocol} port`;
  const single = ranges.length === 1 && ranges[0]?.[0] === ranges[0]?.[1];
  const items = ranges.map(([first, last]) => (first === last ? String(first) : `${first}-${last}`));
  return `${prefix}${single ? 'port' : 'ports'} ${items.join(', ')}`;
}

/** The entries of a rule's `ports` as the policy wrote them, for naming what was asked for. */
export function describePortRules(rules: readonly PortRule[]): string {
  if (rules.length === 0) return 'any port';
  return clip(quoteList(rules.map(describeWrittenPort), ', '));
}

function describeWrittenPort(rule: PortRule): string {
  const prefix = rule.protocol === 'TCP' ? '' : `${rule.protocol} `;
  if (rule.port === undefined) return `any ${rule.protocol} port`;
  if (typeof rule.port === 'string') return `${prefix}named port "${rule.port}" (any number)`;
  if (rule.endPort !== undefined && rule.endPort !== rule.port) return `${prefix}ports ${rule.port}-${rule.endPort}`;
  return `${prefix}port ${rule.port}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) as string}`;
}
