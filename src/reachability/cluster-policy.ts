import type { LabelSelector } from '../kube/network-policy.ts';
import { type Cidr, parseCidr } from './cidr.ts';
import type { ClusterNetworkPolicyWire, ClusterPeerWire, ClusterProtocolWire, ClusterRuleWire, PortWire } from './cluster-policy-wire.ts';
import { InvalidPolicyError } from './errors.ts';
import { everything, parseSelector, type Selector } from './label-selector.ts';
import type { Protocol } from './model.ts';
import type { Direction } from './policy.ts';

export type Tier = 'Admin' | 'Baseline';
export type Action = 'Accept' | 'Deny' | 'Pass';

/** Pods in namespaces matching `namespace` whose labels match `pod` (`namespaces` subjects and peers: every pod). */
export interface PodSet {
  readonly namespace: Selector;
  readonly pod: Selector;
}

/**
 * A `from`/`to` entry. `pods`/`namespaces` select pods, never host-networked ones; `networks`
 * match addresses, pod IPs included; `nodes` match the addresses of the selected Nodes;
 * `domainNames` match what DNS answered for those names, which no input here tells.
 */
export type ClusterPeer =
  | { readonly kind: 'pods'; readonly pods: PodSet }
  | { readonly kind: 'networks'; readonly networks: readonly Cidr[] }
  | { readonly kind: 'nodes'; readonly nodes: Selector }
  | { readonly kind: 'domainNames'; readonly domainNames: readonly string[] };

/** One `protocols` entry: a port or range of one protocol, or a container port name. */
export type ClusterProtocol = { readonly protocol: Protocol; readonly first: number; readonly last: number } | { readonly namedPort: string };

export interface ClusterRule {
  readonly index: number;
  /** The rule's own `name`, when it has one. */
  readonly name: string | undefined;
  readonly action: Action;
  readonly peers: readonly ClusterPeer[];
  /** Empty: every port of every protocol. */
  readonly protocols: readonly ClusterProtocol[];
  /**
   * A peer with none of the fields this engine knows (a newer CRD's field, or none at all): the
   * API says to fail closed, an Accept rule then matches nothing and a Deny or Pass rule becomes
   * "Deny all".
   */
  readonly failsClosed: boolean;
}

export interface ClusterPolicy {
  readonly name: string;
  readonly tier: Tier;
  readonly priority: number;
  readonly subject: PodSet;
  readonly rules: Readonly<Record<Direction, readonly ClusterRule[]>>;
}

const tiers: readonly string[] = ['Admin', 'Baseline'];
const actions: readonly string[] = ['Accept', 'Deny', 'Pass'];
const peerFields = ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'] as const;
const protocolFields = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' } as const;

/**
 * Reads a ClusterNetworkPolicy as the API server would store it, refusing what its CRD's schema
 * refuses (a wrong tier or action, a priority outside 0-1000, two fields where exactly one is
 * allowed, a CIDR with host bits, a range whose start is not below its end), so that an answer
 * is never given for an object no cluster could hold.
 */
export function parseClusterPolicy(object: ClusterNetworkPolicyWire): ClusterPolicy {
  const name = object.metadata?.name;
  if (name === undefined || name === '') throw new InvalidPolicyError('ClusterNetworkPolicy', 'metadata.name is required');
  const spec = object.spec ?? {};
  const at = (field: string): string => `${name}: spec.${field}`;
  return {
    name,
    tier: oneOf(spec.tier, tiers, at('tier')) as Tier,
    priority: parsePriority(spec.priority, at('priority')),
    subject: parseSubject(spec.subject, at('subject')),
    rules: {
      ingress: (spec.ingress ?? []).map((rule, index) => parseRule(rule ?? {}, index, at(`ingress[${index}]`), 'from')),
      egress: (spec.egress ?? []).map((rule, index) => parseRule(rule ?? {}, index, at(`egress[${index}]`), 'to')),
    },
  };
}

function oneOf(value: unknown, allowed: readonly string[], path: string): string {
  if (!allowed.includes(String(value))) throw new InvalidPolicyError(path, `${JSON.stringify(value ?? null)} is not one of ${allowed.join(', ')}`);
  return String(value);
}

function parsePriority(priority: unknown, path: string): number {
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 1000) throw new InvalidPolicyError(path, `${JSON.stringify(priority ?? null)} is not an integer from 0 to 1000`);
  return priority;
}

function parseSubject(subject: { readonly namespaces?: LabelSelector; readonly pods?: ClusterPeerWire['pods'] } | undefined, path: string): PodSet {
  const set = Object.entries(subject ?? {}).filter(([, value]) => value !== undefined && value !== null);
  if (set.length !== 1 || (subject?.namespaces === undefined && subject?.pods === undefined)) throw new InvalidPolicyError(path, 'needs exactly one of namespaces, pods');
  return subject.pods !== undefined && subject.pods !== null ? parsePods(subject.pods, `${path}.pods`) : { namespace: parseSelector(subject.namespaces, `${path}.namespaces`), pod: everything };
}

function parsePods(pods: NonNullable<ClusterPeerWire['pods']>, path: string): PodSet {
  return { namespace: parseSelector(pods.namespaceSelector, `${path}.namespaceSelector`), pod: parseSelector(pods.podSelector, `${path}.podSelector`) };
}

function parseRule(rule: ClusterRuleWire, index: number, path: string, peersField: 'from' | 'to'): ClusterRule {
  const action = oneOf(rule.action, actions, `${path}.action`) as Action;
  const wirePeers = rule[peersField] ?? [];
  const peers = wirePeers.map((peer, i) => parsePeer(peer ?? {}, `${path}.${peersField}[${i}]`, peersField)).filter((peer): peer is ClusterPeer => peer !== undefined);
  // `protocols: []` is refused by the CRD (minItems 1); absent means every port.
  const protocols = (rule.protocols === undefined || rule.protocols === null ? [] : nonEmpty(rule.protocols, `${path}.protocols`)).map((protocol, i) => parseProtocol(protocol ?? {}, `${path}.protocols[${i}]`));
  checkCombination(action, peers, protocols, `${path}.${peersField}`);
  return { index, name: rule.name || undefined, action, peers, protocols, failsClosed: wirePeers.length === 0 || peers.length < wirePeers.length };
}

/** What the CRD's rules refuse across a rule's fields. */
function checkCombination(action: Action, peers: readonly ClusterPeer[], protocols: readonly ClusterProtocol[], path: string): void {
  if (protocols.some((p) => 'namedPort' in p) && peers.some((peer) => peer.kind !== 'pods')) {
    throw new InvalidPolicyError(path, 'networks, nodes and domainNames peers cannot be used with destinationNamedPort: they have no named ports');
  }
  if (action !== 'Accept' && peers.some((peer) => peer.kind === 'domainNames')) throw new InvalidPolicyError(path, 'domainNames peers are only supported in Accept rules');
}

/** undefined: a peer with none of the known fields, which fails closed. */
function parsePeer(peer: ClusterPeerWire, path: string, peersField: 'from' | 'to'): ClusterPeer | undefined {
  const set = peerFields.filter((field) => peer[field] !== undefined && peer[field] !== null);
  if (set.length === 0) return undefined;
  if (set.length > 1) throw new InvalidPolicyError(path, `has ${set.join(' and ')}: a peer takes exactly one`);
  const field = set[0] as (typeof peerFields)[number];
  if (peersField === 'from' && field !== 'namespaces' && field !== 'pods') throw new InvalidPolicyError(`${path}.${field}`, 'is an egress peer only');
  return peerParsers[field](peer, `${path}.${field}`);
}

const peerParsers: Readonly<Record<(typeof peerFields)[number], (peer: ClusterPeerWire, path: string) => ClusterPeer>> = {
  namespaces: (peer, path) => ({ kind: 'pods', pods: { namespace: parseSelector(peer.namespaces, path), pod: everything } }),
  pods: (peer, path) => ({ kind: 'pods', pods: parsePods(peer.pods as NonNullable<ClusterPeerWire['pods']>, path) }),
  nodes: (peer, path) => ({ kind: 'nodes', nodes: parseSelector(peer.nodes, path) }),
  networks: (peer, path) => ({ kind: 'networks', networks: parseNetworks(peer.networks ?? [], path) }),
  domainNames: (peer, path) => ({ kind: 'domainNames', domainNames: nonEmpty(peer.domainNames ?? [], path).map(String) }),
};

function nonEmpty<T>(items: readonly T[], path: string): readonly T[] {
  if (items.length === 0) throw new InvalidPolicyError(path, 'needs at least one item');
  return items;
}

/** The CRD refuses a CIDR with host bits set (`cidr(self) == cidr(self).masked()`). */
function parseNetworks(networks: readonly string[], path: string): Cidr[] {
  return nonEmpty(networks, path).map((text, i) => {
    const cidr = parseCidr(String(text));
    if (cidr === undefined || String(text).trim() !== text) throw new InvalidPolicyError(`${path}[${i}]`, `"${text}" is not a CIDR`);
    if (!isMasked(cidr, String(text))) throw new InvalidPolicyError(`${path}[${i}]`, `"${text}" has host bits set (the network is ${networkText(cidr)})`);
    return cidr;
  });
}

function isMasked(cidr: Cidr, text: string): boolean {
  const written = parseCidr(`${text.split('/')[0]}/${cidr.family === 4 ? 32 : 128}`);
  return written !== undefined && written.network === cidr.network;
}

function networkText(cidr: Cidr): string {
  if (cidr.family === 4) return `${[24n, 16n, 8n, 0n].map((shift) => String((cidr.network >> shift) & 255n)).join('.')}/${cidr.prefix}`;
  const groups = [...Array(8).keys()].map((i) => ((cidr.network >> BigInt(112 - i * 16)) & 0xffffn).toString(16));
  return `${groups.join(':')}/${cidr.prefix}`;
}

function parseProtocol(protocol: ClusterProtocolWire, path: string): ClusterProtocol {
  const set = [...Object.keys(protocolFields), 'destinationNamedPort'].filter((field) => protocol[field as keyof ClusterProtocolWire] !== undefined && protocol[field as keyof ClusterProtocolWire] !== null);
  if (set.length !== 1) throw new InvalidPolicyError(path, 'needs exactly one of tcp, udp, sctp, destinationNamedPort');
  const field = set[0] as keyof ClusterProtocolWire;
  if (field === 'destinationNamedPort') {
    const name = String(protocol.destinationNamedPort);
    if (name === '') throw new InvalidPolicyError(`${path}.destinationNamedPort`, 'is empty');
    return { namedPort: name };
  }
  const port = protocol[field]?.destinationPort;
  if (port === undefined || port === null) throw new InvalidPolicyError(`${path}.${field}`, 'needs destinationPort');
  return { protocol: protocolFields[field], ...parsePort(port, `${path}.${field}.destinationPort`) };
}

function parsePort(port: PortWire, path: string): { first: number; last: number } {
  const hasNumber = port.number !== undefined && port.number !== null && port.number !== 0;
  const hasRange = port.range !== undefined && port.range !== null;
  if (hasNumber === hasRange) throw new InvalidPolicyError(path, 'needs exactly one of number, range');
  if (hasNumber) return { first: portNumber(port.number, `${path}.number`), last: portNumber(port.number, `${path}.number`) };
  const first = portNumber(port.range?.start, `${path}.range.start`);
  const last = portNumber(port.range?.end, `${path}.range.end`);
  if (first >= last) throw new InvalidPolicyError(`${path}.range`, `start ${first} must be less than end ${last}`);
  return { first, last };
}

function portNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw new InvalidPolicyError(path, `${JSON.stringify(value ?? null)} is not a port number (1-65535)`);
  return value;
}

/** How reasons name a rule: `admin-deny egress[2] "deny-to-slytherin"`. */
export function describeRuleRef(policy: ClusterPolicy, direction: Direction, rule: ClusterRule): string {
  return `${policy.name} ${direction}[${rule.index}]${rule.name === undefined ? '' : ` "${rule.name}"`}`;
}
