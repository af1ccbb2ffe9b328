import type { RuleTarget } from './cluster-match.ts';
import { selectorMatches } from './label-selector.ts';
import { type Endpoint, endpointName, type PodInfo, podKey, type Traffic } from './model.ts';
import { peerMatches } from './peers.ts';
import type { Direction, Policy, Rule } from './policy.ts';
import { portsMatch } from './ports.ts';
import { combine, decideThroughTiers, type Outcome, type TierDecision } from './tiers.ts';
import type { World } from './world.ts';

/** A rule that admits the connection: `spec.<direction>[rule]` of `policy`. */
export interface RuleRef {
  readonly policy: string;
  readonly rule: number;
}

/** A rule of an isolating policy that does not admit the connection, and which half failed. */
export interface RuleMiss extends RuleRef {
  readonly peerMatches: boolean;
  readonly portMatches: boolean;
}

/** What one pod's policies say about one direction of the connection. */
export interface SideVerdict {
  readonly direction: Direction;
  /** The pod whose policies decide: the source for egress, the destination for ingress. */
  readonly pod: string;
  /** Policies that select the pod and have this policy type; none means the pod is not isolated. */
  readonly isolatedBy: readonly string[];
  readonly allowedBy: readonly RuleRef[];
  /** Every rule of the isolating policies that does not admit; an isolating policy without rules has none. */
  readonly misses: readonly RuleMiss[];
  /** The NetworkPolicy tier's own answer (allowed when it does not isolate the pod), whether or not evaluation reached it. */
  readonly networkPolicyAllows: boolean;
  /** The ClusterNetworkPolicy tiers around it: which rules applied, which tier decided, any choice left open. */
  readonly tiers: TierDecision;
  readonly outcome: Outcome;
  /** outcome is allowed. */
  readonly allowed: boolean;
}

export interface Verdict {
  readonly from: string;
  readonly to: string;
  readonly traffic: Traffic;
  /** Denied when either side denies; undetermined when neither denies and one side is undetermined. */
  readonly outcome: Outcome;
  /** Egress of the source and ingress of the destination both allow it. */
  readonly allowed: boolean;
  /** undefined when the source is outside the cluster: no policy governs its egress. */
  readonly egress: SideVerdict | undefined;
  /** undefined when the destination is outside the cluster. */
  readonly ingress: SideVerdict | undefined;
}

/**
 * May `from` open a connection to `to` on `traffic`? Each side goes through the tiers
 * (tiers.ts): Admin ClusterNetworkPolicies, then NetworkPolicies, then Baseline ones. In the
 * NetworkPolicy tier a pod is isolated in a direction only when some policy in its namespace
 * selects it and has that policy type; then the connection must match at least one rule of
 * those policies (allows are a union, there are no denies).
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
 */
export function evaluate(world: World, from: Endpoint, to: Endpoint, traffic: Traffic): Verdict {
  const destination = 'pod' in to ? to.pod : undefined;
  const egress = 'pod' in from ? sideVerdict(world, 'egress', from.pod, { other: to, traffic, destination }) : undefined;
  const ingress = destination !== undefined ? sideVerdict(world, 'ingress', destination, { other: from, traffic, destination }) : undefined;
  const outcome = combine(egress?.outcome ?? 'allowed', ingress?.outcome ?? 'allowed');
  return {
    from: endpointName(from),
    to: endpointName(to),
    traffic,
    outcome,
    allowed: outcome === 'allowed',
    egress,
    ingress,
  };
}

/** The policies in the pod's namespace that select it and isolate it in `direction`. */
export function isolatingPolicies(world: World, pod: PodInfo, direction: Direction): Policy[] {
  return (world.policiesByNamespace.get(pod.namespace) ?? []).filter((policy) => policy.isolates[direction] && selectorMatches(policy.podSelector, pod.labels));
}

/** The connection as one side sees it: the other end, and the pod whose named ports apply. */
type Connection = RuleTarget;

function sideVerdict(world: World, direction: Direction, pod: PodInfo, connection: Connection): SideVerdict {
  const policies = isolatingPolicies(world, pod, direction);
  const allowedBy: RuleRef[] = [];
  const misses: RuleMiss[] = [];
  for (const policy of policies) {
    for (const rule of policy.rules[direction]) {
      const result = ruleResult(world, policy, rule, connection);
      if (result.peerMatches && result.portMatches) allowedBy.push({ policy: policy.key, rule: rule.index });
      else misses.push(result);
    }
  }
  const networkPolicyAllows = policies.length === 0 || allowedBy.length > 0;
  const tiers = decideThroughTiers(world, { direction, pod, ...connection }, () => (policies.length === 0 ? undefined : networkPolicyAllows));
  return { direction, pod: podKey(pod), isolatedBy: policies.map((p) => p.key), allowedBy, misses, networkPolicyAllows, tiers, outcome: tiers.outcome, allowed: tiers.outcome === 'allowed' };
}

function ruleResult(world: World, policy: Policy, rule: Rule, { other, traffic, destination }: Connection): RuleMiss {
  return {
    policy: policy.key,
    rule: rule.index,
    peerMatches: rule.peers.length === 0 || rule.peers.some((peer) => peerMatches(peer, policy.namespace, other, world.namespaceLabels)),
    portMatches: portsMatch(rule.ports, traffic, destination),
  };
}
