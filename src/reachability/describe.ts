import { describeSelector, parseSelector } from './label-selector.ts';
import type { Labels, PodInfo, Traffic } from './model.ts';
import { describePeer } from './peers.ts';
import type { Direction, Policy } from './policy.ts';
import { describePortRule } from './ports.ts';
import type { RuleStep, TierPath } from './tiers.ts';
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
  const lines = [`${from} → ${to} on ${traffic.protocol}/${traffic.port}: ${verdict.outcome}`, ''];
  lines.push(...describeSide({ world, direction: 'egress', subject: from, other: to, traffic }, verdict.egress), '');
  lines.push(...describeSide({ world, direction: 'ingress', subject: to, other: from, traffic }, verdict.ingress));
  return `${lines.join('\n')}\n`;
}

function describeSide(side: Side, verdict: SideVerdict | undefined): string[] {
  const { direction, subject } = side;
  const title = direction === 'egress' ? `Egress from ${subject}` : `Ingress to ${subject}`;
  if (verdict === undefined) return [`${title}: allowed: ${subject} is outside the cluster, no NetworkPolicy applies to it.`];
  const { paths, ambiguities } = verdict.tiers;
  const only = paths[0] as TierPath;
  if (paths.length === 1 && only.steps.length === 0 && only.decidedBy !== 'Baseline') return describeNetworkPolicySide(side, verdict, title);
  const lines = [`${title}: ${verdict.outcome}`];
  for (const ambiguity of ambiguities) lines.push(`  ${ambiguityTitle[ambiguity.reason]}: ${ambiguity.detail}`);
  if (paths.length === 1) return [...lines, ...describePath(side, verdict, only, '  ')];
  for (const path of paths) lines.push(`  one way (${path.allowed ? 'allowed' : 'denied'}):`, ...describePath(side, verdict, path, '    '));
  return lines;
}

const ambiguityTitle = { 'same-priority': 'left to the implementation', 'domain-names': 'cannot be decided from the input' } as const;

/** The rules met in order, the NetworkPolicy tier where evaluation reached it, and where it ended. */
function describePath(side: Side, verdict: SideVerdict, path: TierPath, indent: string): string[] {
  const lines: string[] = [];
  const admin = path.steps.filter((step) => step.tier === 'Admin');
  const baseline = path.steps.filter((step) => step.tier === 'Baseline');
  for (const step of admin) lines.push(`${indent}${describeStep(side, step)}`);
  if (path.decidedBy === 'Admin') return lines;
  lines.push(...describeNetworkPolicyTier(side, verdict, indent));
  if (path.decidedBy === 'NetworkPolicy') return lines;
  for (const step of baseline) lines.push(`${indent}${describeStep(side, step)}`);
  if (path.decidedBy === 'default') lines.push(`${indent}no tier decides: allowed, as Kubernetes allows what no policy governs`);
  return lines;
}

function describeStep(side: Side, step: RuleStep): string {
  const name = step.ruleName === undefined ? '' : ` "${step.ruleName}"`;
  const condition = step.certain ? '' : ' (if the address is one the domain names resolve to)';
  const closed = step.failsClosed ? ' (it has a peer this engine does not know, so it fails closed)' : '';
  const effect = step.action === 'Pass' ? `Pass: the rest of the ${step.tier} tier is skipped, evaluation goes on to ${step.tier === 'Admin' ? 'the NetworkPolicy tier' : 'the default (allowed)'}` : `${step.action}: final`;
  return `${step.tier} tier: ClusterNetworkPolicy ${step.policy} (priority ${step.priority}) ${side.direction} rule ${step.rule}${name} applies${condition}${closed}: ${effect}`;
}

function describeNetworkPolicyTier(side: Side, verdict: SideVerdict, indent: string): string[] {
  const type = side.direction === 'egress' ? 'Egress' : 'Ingress';
  if (verdict.isolatedBy.length === 0) return [`${indent}NetworkPolicy tier: no NetworkPolicy in ${side.subject.split('/')[0]} selects ${side.subject} with policy type ${type}; evaluation goes on to the Baseline tier`];
  const [first, ...rest] = describeNetworkPolicySide(side, verdict, 'NetworkPolicy tier');
  return [`${indent}${first as string} (final: NetworkPolicies decide for every pod they isolate)`, ...rest.map((line) => `${indent}${line.slice(2)}`)];
}

function describeNetworkPolicySide(side: Side, verdict: SideVerdict, title: string): string[] {
  const { direction, subject, other, traffic } = side;
  const allowed = verdict.networkPolicyAllows;
  if (verdict.isolatedBy.length === 0) {
    const type = direction === 'egress' ? 'Egress' : 'Ingress';
    return [`${title}: allowed: no NetworkPolicy in ${subject.split('/')[0]} selects ${subject} with policy type ${type}, so it is not isolated for ${direction}.`];
  }
  const lines = [`${title}: ${allowed ? 'allowed' : 'denied'}`, `  isolated for ${direction} by ${verdict.isolatedBy.join(', ')}`];
  for (const ref of verdict.allowedBy) lines.push(`  admitted by ${ref.policy} ${direction} rule ${ref.rule} (spec.${direction}[${ref.rule}])`);
  if (allowed) return lines;
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
