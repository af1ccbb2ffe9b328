import { describeSelector, parseSelector } from './label-selector.ts';
import type { Labels, PodInfo, Traffic } from './model.ts';
import { describePeer } from './peers.ts';
import type { Direction, Policy } from './policy.ts';
import { describePortRule } from './ports.ts';
import type { RuleMiss, SideVerdict, Verdict } from './verdict.ts';
import type { World } from './world.ts';

/** One side of the connection being described: `subject`'s policies, `other` the far end. */
interface Side {
  readonly world: World;
  readonly direction: Direction;
  readonly subject: string;
  readonly other: string;
  readonly traffic: Traffic;
}

/**
 * A verdict in sentences a developer can act on: the answer first, then for each side which
 * policies isolate the pod, which rule admits the connection, or why each rule does not.
 */
export function describeVerdict(world: World, verdict: Verdict): string {
  const { from, to, traffic } = verdict;
  const lines = [`${from} → ${to} on ${traffic.protocol}/${traffic.port}: ${verdict.allowed ? 'allowed' : 'denied'}`, ''];
  lines.push(...describeSide({ world, direction: 'egress', subject: from, other: to, traffic }, verdict.egress), '');
  lines.push(...describeSide({ world, direction: 'ingress', subject: to, other: from, traffic }, verdict.ingress));
  return `${lines.join('\n')}\n`;
}

function describeSide(side: Side, verdict: SideVerdict | undefined): string[] {
  const { direction, subject, other, traffic } = side;
  const title = direction === 'egress' ? `Egress from ${subject}` : `Ingress to ${subject}`;
  if (verdict === undefined) return [`${title}: allowed: ${subject} is outside the cluster, no NetworkPolicy applies to it.`];
  if (verdict.isolatedBy.length === 0) {
    const type = direction === 'egress' ? 'Egress' : 'Ingress';
    return [`${title}: allowed: no NetworkPolicy in ${subject.split('/')[0]} selects ${subject} with policy type ${type}, so it is not isolated for ${direction}.`];
  }
  const lines = [`${title}: ${verdict.allowed ? 'allowed' : 'denied'}`, `  isolated for ${direction} by ${verdict.isolatedBy.join(', ')}`];
  for (const ref of verdict.allowedBy) lines.push(`  admitted by ${ref.policy} ${direction} rule ${ref.rule} (spec.${direction}[${ref.rule}])`);
  if (verdict.allowed) return lines;
  lines.push(`  no ${direction} rule admits ${other} on ${traffic.protocol}/${traffic.port}:`);
  for (const key of verdict.isolatedBy) lines.push(...describePolicyMisses(side, verdict, key));
  return lines;
}

function describePolicyMisses(side: Side, verdict: SideVerdict, key: string): string[] {
  const policy = side.world.policies.find((p) => p.key === key) as Policy;
  if (policy.rules[side.direction].length === 0) return [`  - ${key} has no ${side.direction} rules: it only isolates ${verdict.pod}, it allows nothing`];
  return verdict.misses.filter((miss) => miss.policy === key).map((miss) => `  - ${key} ${side.direction} rule ${miss.rule}: ${describeMiss(side, policy, miss)}`);
}

function describeMiss(side: Side, policy: Policy, miss: RuleMiss): string {
  const rule = policy.rules[side.direction][miss.rule];
  if (rule === undefined) return 'unknown rule';
  const reasons: string[] = [];
  if (!miss.peerMatches) {
    const peers = rule.peers.map((peer) => describePeer(peer, policy.namespace)).join('; or ');
    reasons.push(`${describeEndpoint(side.world, side.other)} is not one of its ${side.direction === 'egress' ? 'destinations' : 'sources'} (${peers})`);
  }
  if (!miss.portMatches) reasons.push(`${side.traffic.protocol}/${side.traffic.port} is not one of its ports (${rule.ports.map(describePortRule).join(', ')})`);
  return reasons.join(', and ');
}

/** A pod with the labels selectors read, or an address. */
function describeEndpoint(world: World, name: string): string {
  const pod = world.podsByKey.get(name);
  if (pod === undefined) return name;
  return `${name} (pod labels ${describeLabels(pod.labels)}; namespace labels ${describeLabels(world.namespaceLabels(pod.namespace))}${describeIps(pod)})`;
}

function describeLabels(labels: Labels): string {
  if (Object.keys(labels).length === 0) return 'none';
  return describeSelector(parseSelector({ matchLabels: labels }, ''));
}

function describeIps(pod: PodInfo): string {
  return pod.ips.length === 0 ? '' : `; IP ${pod.ips.join(', ')}`;
}
