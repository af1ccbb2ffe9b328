import { describeSelector, parseSelector } from './label-selector.ts';
import type { Labels, PodInfo, Traffic } from './model.ts';
import { describePeer } from './peers.ts';
import type { Direction, Policy } from './policy.ts';
import { describePortRule } from './ports.ts';
import type { RuleMiss, SideVerdict, Verdict } from './verdict.ts';
import type { World } from './world.ts';

/**
 * A verdict in sentences a developer can act on: the answer first, then for each side which
 * policies isolate the pod, which rule admits the connection, or why each rule does not.
 */
export function describeVerdict(world: World, verdict: Verdict): string {
  const { from, to, traffic } = verdict;
  const lines = [`${from} → ${to} on ${traffic.protocol}/${traffic.port}: ${verdict.allowed ? 'allowed' : 'denied'}`, ''];
  lines.push(...describeSide(world, verdict.egress, 'egress', from, to, traffic), '');
  lines.push(...describeSide(world, verdict.ingress, 'ingress', to, from, traffic));
  return `${lines.join('\n')}\n`;
}

function describeSide(world: World, side: SideVerdict | undefined, direction: Direction, subject: string, other: string, traffic: Traffic): string[] {
  const title = direction === 'egress' ? `Egress from ${subject}` : `Ingress to ${subject}`;
  if (side === undefined) return [`${title}: allowed: ${subject} is outside the cluster, no NetworkPolicy applies to it.`];
  const type = direction === 'egress' ? 'Egress' : 'Ingress';
  const namespace = subject.split('/')[0] as string;
  if (side.isolatedBy.length === 0) {
    return [`${title}: allowed: no NetworkPolicy in ${namespace} selects ${subject} with policy type ${type}, so it is not isolated for ${direction}.`];
  }
  const lines = [`${title}: ${side.allowed ? 'allowed' : 'denied'}`, `  isolated for ${direction} by ${side.isolatedBy.join(', ')}`];
  for (const ref of side.allowedBy) lines.push(`  admitted by ${ref.policy} ${direction} rule ${ref.rule} (spec.${direction}[${ref.rule}])`);
  if (side.allowed) return lines;
  lines.push(`  no ${direction} rule admits ${other} on ${traffic.protocol}/${traffic.port}:`);
  for (const key of side.isolatedBy) lines.push(...describePolicyMisses(world, side, key, direction, other, traffic));
  return lines;
}

function describePolicyMisses(world: World, side: SideVerdict, key: string, direction: Direction, other: string, traffic: Traffic): string[] {
  const policy = world.policies.find((p) => p.key === key) as Policy;
  if (policy.rules[direction].length === 0) return [`  - ${key} has no ${direction} rules: it only isolates ${side.pod}, it allows nothing`];
  return side.misses.filter((miss) => miss.policy === key).map((miss) => `  - ${key} ${direction} rule ${miss.rule}: ${describeMiss(world, policy, miss, direction, other, traffic)}`);
}

function describeMiss(world: World, policy: Policy, miss: RuleMiss, direction: Direction, other: string, traffic: Traffic): string {
  const rule = policy.rules[direction][miss.rule];
  if (rule === undefined) return 'unknown rule';
  const reasons: string[] = [];
  if (!miss.peerMatches) {
    const peers = rule.peers.map((peer) => describePeer(peer, policy.namespace)).join('; or ');
    reasons.push(`${describeEndpoint(world, other)} is not one of its ${direction === 'egress' ? 'destinations' : 'sources'} (${peers})`);
  }
  if (!miss.portMatches) reasons.push(`${traffic.protocol}/${traffic.port} is not one of its ports (${rule.ports.map(describePortRule).join(', ')})`);
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
