import { cidrContains, parseIp } from './cidr.ts';
import type { Action, ClusterPeer, ClusterPolicy, ClusterProtocol, ClusterRule, PodSet } from './cluster-policy.ts';
import { selectorMatches } from './label-selector.ts';
import type { Endpoint, PodInfo, Traffic } from './model.ts';
import type { World } from './world.ts';

/**
 * Whether a rule applies to a connection. `maybe` when the answer depends on what the input
 * cannot tell: a `domainNames` peer against an address outside the cluster (which names resolve
 * to it is DNS's answer at connection time).
 */
export type Match = 'yes' | 'no' | 'maybe';

/** Host-networked pods are never in a `pods` or `namespaces` set (subject or peer). */
export function podSetContains(world: World, set: PodSet, pod: PodInfo): boolean {
  return pod.hostNetwork !== true && selectorMatches(set.namespace, world.namespaceLabels(pod.namespace)) && selectorMatches(set.pod, pod.labels);
}

/** The policy applies to the pod (as a subject) in this direction: it selects it and has rules there. */
export function appliesTo(world: World, policy: ClusterPolicy, pod: PodInfo, direction: 'ingress' | 'egress'): boolean {
  return policy.rules[direction].length > 0 && podSetContains(world, policy.subject, pod);
}

function addressesOf(endpoint: Endpoint): readonly string[] {
  return 'pod' in endpoint ? endpoint.pod.ips : [endpoint.ip];
}

function peerMatch(world: World, peer: ClusterPeer, other: Endpoint): Match {
  switch (peer.kind) {
    case 'pods':
      return 'pod' in other && podSetContains(world, peer.pods, other.pod) ? 'yes' : 'no';
    case 'networks':
      return addressesOf(other).some((ip) => peer.networks.some((cidr) => contains(cidr, ip))) ? 'yes' : 'no';
    case 'nodes':
      return addressesOf(other).some((ip) => world.nodes.some((node) => node.addresses.includes(ip) && selectorMatches(peer.nodes, node.labels))) ? 'yes' : 'no';
    case 'domainNames':
      // A pod is addressed by its IP, and this engine's pods are the cluster's own; an outside address may be any name's.
      return 'pod' in other ? 'no' : 'maybe';
  }
}

function contains(cidr: Parameters<typeof cidrContains>[0], ip: string): boolean {
  const address = parseIp(ip);
  return address !== undefined && cidrContains(cidr, address);
}

function protocolMatches(protocol: ClusterProtocol, traffic: Traffic, destination: PodInfo | undefined): boolean {
  if ('namedPort' in protocol) {
    return destination !== undefined && destination.ports.some((p) => p.name === protocol.namedPort && p.protocol === traffic.protocol && p.containerPort === traffic.port);
  }
  return protocol.protocol === traffic.protocol && traffic.port >= protocol.first && traffic.port <= protocol.last;
}

/** No `protocols`: every port of every protocol. */
export function protocolsMatch(rule: ClusterRule, traffic: Traffic, destination: PodInfo | undefined): boolean {
  return rule.protocols.length === 0 || rule.protocols.some((protocol) => protocolMatches(protocol, traffic, destination));
}

export function peersMatch(world: World, rule: ClusterRule, other: Endpoint): Match {
  const matches = rule.peers.map((peer) => peerMatch(world, peer, other));
  return matches.includes('yes') ? 'yes' : matches.includes('maybe') ? 'maybe' : 'no';
}

/** The connection as a rule sees it: the far end, the traffic, and the pod whose named ports apply. */
export interface RuleTarget {
  readonly other: Endpoint;
  readonly traffic: Traffic;
  readonly destination: PodInfo | undefined;
}

/** What the rule does to traffic it matches: a rule that fails closed and is not an Accept denies. */
export function effectiveAction(rule: ClusterRule): Action {
  return rule.failsClosed && rule.action !== 'Accept' ? 'Deny' : rule.action;
}

/**
 * Whether the rule applies to the connection. A rule that fails closed matches nothing when it
 * is an Accept, and everything (as "Deny all") otherwise.
 */
export function ruleMatch(world: World, rule: ClusterRule, { other, traffic, destination }: RuleTarget): Match {
  if (rule.failsClosed) return rule.action === 'Accept' ? 'no' : 'yes';
  if (!protocolsMatch(rule, traffic, destination)) return 'no';
  return peersMatch(world, rule, other);
}
