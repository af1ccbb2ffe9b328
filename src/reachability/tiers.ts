import { appliesTo, effectiveAction, type Match, ruleMatch, type RuleTarget } from './cluster-match.ts';
import type { Action, ClusterPolicy, ClusterRule, Tier } from './cluster-policy.ts';
import type { PodInfo } from './model.ts';
import type { Direction } from './policy.ts';
import type { World } from './world.ts';

export type Outcome = 'allowed' | 'denied' | 'undetermined';

/** Both sides must allow: a denial on either side decides; otherwise an undetermined side leaves it open. */
export function combine(egress: Outcome, ingress: Outcome): Outcome {
  if (egress === 'denied' || ingress === 'denied') return 'denied';
  return egress === 'undetermined' || ingress === 'undetermined' ? 'undetermined' : 'allowed';
}

/** Where a direction's evaluation ended: a ClusterNetworkPolicy tier, the NetworkPolicies, or nothing deciding. */
export type DecidingTier = Tier | 'NetworkPolicy' | 'default';

/** A ClusterNetworkPolicy rule that applies to the connection, and what it did. */
export interface RuleStep {
  readonly tier: Tier;
  readonly policy: string;
  readonly priority: number;
  readonly rule: number;
  readonly ruleName: string | undefined;
  /** What the rule does here: a rule failing closed denies whatever it says. */
  readonly action: Action;
  /** false: the rule applies only if the far end is what the input cannot tell (an address a domain name resolves to). */
  readonly certain: boolean;
  readonly failsClosed: boolean;
}

/** One way evaluation can go: the rules it met in order, where it ended and what it decided. */
export interface TierPath {
  readonly steps: readonly RuleStep[];
  readonly decidedBy: DecidingTier;
  readonly allowed: boolean;
}

/** Why there is more than one path, in words for `explain`. */
export interface Ambiguity {
  readonly reason: 'same-priority' | 'domain-names';
  readonly detail: string;
}

export interface TierDecision {
  readonly outcome: Outcome;
  /** Every way evaluation can go; one unless the API leaves a choice or the input cannot tell. */
  readonly paths: readonly TierPath[];
  readonly ambiguities: readonly Ambiguity[];
}

/** The connection as one side's subject sees it; `destination` is the subject for ingress, the peer for egress. */
export interface SideConnection extends RuleTarget {
  readonly direction: Direction;
  readonly pod: PodInfo;
}

/**
 * The NetworkPolicy tier's answer for this side: undefined when no NetworkPolicy isolates the
 * pod in this direction, so evaluation goes on to the Baseline tier.
 */
export type NetworkPolicyAnswer = () => boolean | undefined;

export interface Stage {
  readonly kind: 'group' | 'networkPolicy' | 'default';
  readonly tier: Tier | undefined;
  readonly policies: readonly ClusterPolicy[];
}

/**
 * One direction through the tiers, as ClusterNetworkPolicySpec.Tier defines them: Admin (by
 * priority, lower first; rules in order; Accept or Deny is final, Pass skips to the
 * NetworkPolicies), then the NetworkPolicies (which decide for every pod they isolate), then
 * Baseline (Pass skips to the default), then the default: allowed. Policies of equal priority
 * whose rules match with different actions are a choice the API leaves to the implementation;
 * every choice is followed, and the outcome is undetermined when they disagree.
 * https://github.com/kubernetes-sigs/network-policy-api/blob/v0.3.1/apis/v1beta1/clusternetworkpolicy_types.go
 */
export function decideThroughTiers(world: World, connection: SideConnection, networkPolicy: NetworkPolicyAnswer, stages = tierStages(applyingPolicies(world, connection.pod, connection.direction))): TierDecision {
  const ambiguities: Ambiguity[] = [];
  const paths = walk({ world, connection, networkPolicy, stages, ambiguities }, 0, []);
  const outcomes = new Set(paths.map((path) => path.allowed));
  return { outcome: outcomes.size > 1 ? 'undetermined' : paths[0]?.allowed === false ? 'denied' : 'allowed', paths, ambiguities };
}

/** The ClusterNetworkPolicies whose subject holds the pod and that have rules in the direction. */
export function applyingPolicies(world: World, pod: PodInfo, direction: Direction): ClusterPolicy[] {
  return world.clusterPolicies.filter((policy) => appliesTo(world, policy, pod, direction));
}

/**
 * Admin groups by priority (each group's policies by name, for a stable account), the
 * NetworkPolicy tier, Baseline groups by priority, the default. The same for every connection of
 * one pod and direction, so the matrix computes them once per pod.
 */
export function tierStages(applying: readonly ClusterPolicy[]): readonly Stage[] {
  const groups = (tier: Tier): Stage[] => {
    const byPriority = new Map<number, ClusterPolicy[]>();
    for (const policy of applying.filter((p) => p.tier === tier)) byPriority.set(policy.priority, [...(byPriority.get(policy.priority) ?? []), policy]);
    return [...byPriority.keys()].sort((a, b) => a - b).map((priority) => ({ kind: 'group', tier, policies: (byPriority.get(priority) ?? []).sort((a, b) => (a.name < b.name ? -1 : 1)) }));
  };
  return [...groups('Admin'), { kind: 'networkPolicy', tier: undefined, policies: [] }, ...groups('Baseline'), { kind: 'default', tier: undefined, policies: [] }];
}

interface Walk {
  readonly world: World;
  readonly connection: SideConnection;
  readonly networkPolicy: NetworkPolicyAnswer;
  readonly stages: readonly Stage[];
  readonly ambiguities: Ambiguity[];
}

function walk(state: Walk, index: number, steps: readonly RuleStep[]): TierPath[] {
  const stage = state.stages[index] as Stage;
  if (stage.kind === 'default') return [{ steps, decidedBy: 'default', allowed: true }];
  if (stage.kind === 'networkPolicy') {
    const answer = state.networkPolicy();
    return answer === undefined ? walk(state, index + 1, steps) : [{ steps, decidedBy: 'NetworkPolicy', allowed: answer }];
  }
  return walkGroup(state, index, steps);
}

/** What a policy's rules can do to the connection: the first rule that applies, and any uncertain ones before it. */
function candidates(state: Walk, policy: ClusterPolicy): { steps: RuleStep[]; mayMatchNone: boolean } {
  const { world, connection } = state;
  const steps: RuleStep[] = [];
  for (const rule of policy.rules[connection.direction]) {
    const match = ruleMatch(world, rule, connection);
    if (match === 'no') continue;
    steps.push(stepOf(policy, rule, match));
    if (match === 'yes') return { steps, mayMatchNone: false };
  }
  return { steps, mayMatchNone: true };
}

function stepOf(policy: ClusterPolicy, rule: ClusterRule, match: Match): RuleStep {
  return { tier: policy.tier, policy: policy.name, priority: policy.priority, rule: rule.index, ruleName: rule.name, action: effectiveAction(rule), certain: match === 'yes', failsClosed: rule.failsClosed };
}

/**
 * Policies of one priority: each contributes its possible first matching rules. When they agree
 * on one action the path goes on with the first such rule; otherwise each action is a path.
 */
function walkGroup(state: Walk, index: number, steps: readonly RuleStep[]): TierPath[] {
  const stage = state.stages[index] as Stage;
  const perPolicy = stage.policies.map((policy) => candidates(state, policy));
  const byAction = new Map<Action, RuleStep>();
  for (const step of perPolicy.flatMap((p) => p.steps)) if (!byAction.has(step.action)) byAction.set(step.action, step);
  const mayContinue = perPolicy.every((p) => p.mayMatchNone);
  noteAmbiguity(state, stage, perPolicy.flatMap((p) => p.steps), byAction.size + (mayContinue && byAction.size > 0 ? 1 : 0));
  const paths: TierPath[] = [];
  for (const step of byAction.values()) paths.push(...follow(state, index, [...steps, step], step));
  if (mayContinue) paths.push(...walk(state, index + 1, steps));
  return paths;
}

function follow(state: Walk, index: number, steps: readonly RuleStep[], step: RuleStep): TierPath[] {
  if (step.action === 'Accept' || step.action === 'Deny') return [{ steps, decidedBy: step.tier, allowed: step.action === 'Accept' }];
  // Pass: the rest of this tier is skipped.
  const next = state.stages.findIndex((stage, i) => i > index && stage.tier !== step.tier);
  return walk(state, next, steps);
}

function noteAmbiguity(state: Walk, stage: Stage, steps: readonly RuleStep[], branches: number): void {
  if (branches < 2) return;
  const rules = steps.map((s) => `${s.policy} ${state.connection.direction}[${s.rule}] (${s.action}${s.certain ? '' : ', if a domain name resolves to the address'})`).join(', ');
  const policies = new Set(steps.map((s) => s.policy));
  if (policies.size > 1) {
    state.ambiguities.push({ reason: 'same-priority', detail: `${stage.tier} priority ${stage.policies[0]?.priority}: ${rules} match with different actions, and the API lets the implementation apply any of them` });
  }
  if (steps.some((s) => !s.certain)) state.ambiguities.push({ reason: 'domain-names', detail: `${rules}: which names resolve to the address is DNS's answer at connection time` });
}
