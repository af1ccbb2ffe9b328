import type { LabelSelector, NetworkPolicyPeer, NetworkPolicySpec } from '../kube/network-policy.ts';
import type { Cidr } from '../reachability/cidr.ts';
import type { Selector } from '../reachability/label-selector.ts';
import type { Direction, Policy, Rule } from '../reachability/policy.ts';
import type { PortRule } from '../reachability/ports.ts';
import { implies, satisfiable } from '../reachability/symbolic.ts';
import { type Ceiling, type Grant, grantsFor } from './model.ts';
import { anywherePieces, type Piece, peerPieces, pieceWithinCidr } from './pieces.ts';
import { noPorts, type PortSet, portRuleSet, portRulesSet, portsWithin, unionPorts } from './ports.ts';

/** A connection a policy's rule would allow beyond the ceiling: the first one found for that rule. */
export interface Widening {
  readonly direction: Direction;
  readonly rule: number;
  /** The tier of the governed pods it concerns; undefined: pods without one of the configured tiers. */
  readonly tier: string | undefined;
  /** Whether the policy's podSelector may select pods of more than one tier. */
  readonly manyTiers: boolean;
  /** The other end; named only for the widenings a message lists (pieceText). */
  readonly piece: Piece;
  /** The rule's port entries beyond the ceiling, as written. */
  readonly beyond: readonly PortRule[];
  /** What the ceiling allows with that peer; empty when it allows that peer nothing. */
  readonly allowed: PortSet;
  /** The ceiling's grants for those pods in that direction. */
  readonly grants: readonly Grant[];
}

/**
 * How much work one policy may cost across its rules: what it is split into, once, however
 * many tiers of governed pods each piece is then judged for (the config's tiers and one for
 * pods without a valid tier, a handful). Judging costs a few microseconds a unit and the API
 * server admits 3 MB bodies: without a bound, one policy of tens of thousands of rules, ports
 * or peers would hold the event loop for seconds or run the process out of memory. Real
 * policies have tens of peers; generated ones (an allow-list of services) a few thousand.
 */
export const maxPieces = 10_000;

export class PolicyTooLargeError extends Error {
  constructor() {
    super(`it has more than ${maxPieces} peers, namespaces, tiers and address ranges to judge across its rules`);
    this.name = 'PolicyTooLargeError';
  }
}

/**
 * Counted on the policy as written, before parsing it (which costs as much as judging): its
 * podSelector, rules, port entries, peers, except entries and selector requirements and
 * values. Over the bound, it is not judged at all. Under it, splitting is charged again as it
 * goes (a peer naming 5,000 namespaces and 5,000 tiers would make 25 million pieces).
 */
export function tooLargeToJudge(spec: NetworkPolicySpec | undefined): boolean {
  const rules = [...(spec?.ingress ?? []).map((rule) => ({ peers: rule?.from, ports: rule?.ports })), ...(spec?.egress ?? []).map((rule) => ({ peers: rule?.to, ports: rule?.ports }))];
  const size = rules.reduce((sum, rule) => sum + ruleSize(rule), selectorValues(spec?.podSelector));
  return size > maxPieces;
}

function ruleSize({ peers, ports }: { peers: readonly NetworkPolicyPeer[] | null | undefined; ports: readonly unknown[] | null | undefined }): number {
  return (peers ?? []).reduce((sum, peer) => sum + peerSize(peer), 1 + (ports?.length ?? 0));
}

function peerSize(peer: NetworkPolicyPeer | undefined): number {
  return 1 + (peer?.ipBlock?.except?.length ?? 0) + selectorValues(peer?.namespaceSelector) + selectorValues(peer?.podSelector);
}

function selectorValues(selector: LabelSelector | null | undefined): number {
  const labels = Object.keys(selector?.matchLabels ?? {}).length;
  return (selector?.matchExpressions ?? []).reduce((sum, expression) => sum + 1 + (expression?.values?.length ?? 0), labels);
}

/**
 * Every rule of the policy that would allow more than the ceiling, judged for every pod its
 * selectors could ever match: the governed pods through each tier their podSelector admits
 * (POD-TIER makes every pod carry one), the peers split into pieces the grants can decide.
 * Only the directions the policy isolates are judged: rules of another direction are inert.
 */
export function widenings(policy: Policy, ceiling: Ceiling): Widening[] {
  const tiers = subjectTiers(policy.podSelector, ceiling);
  const found: Widening[] = [];
  const budget = { left: maxPieces };
  for (const direction of ['ingress', 'egress'] as const) {
    if (!policy.isolates[direction]) continue;
    for (const rule of policy.rules[direction]) {
      const widening = firstWidening(rule, direction, { tiers, namespace: policy.namespace, budget }, ceiling);
      if (widening !== undefined) found.push(widening);
    }
  }
  return found;
}

/**
 * The tiers pods selected by `podSelector` may carry. A pod whose tier label is missing or not
 * one of the configured values (admitted in warn or audit mode, or before the webhook) gets
 * only what the ceiling grants every pod: it is `undefined` here.
 */
function subjectTiers(podSelector: Selector, ceiling: Ceiling): (string | undefined)[] {
  const tierIs = (tier: string): Selector => ({ requirements: [{ key: ceiling.tierKey, operator: 'In', values: [tier] }] });
  const known = ceiling.tiers.filter((tier) => satisfiable(podSelector, tierIs(tier)));
  const unknown: Selector = { requirements: [{ key: ceiling.tierKey, operator: 'NotIn', values: ceiling.tiers }] };
  return satisfiable(podSelector, unknown) ? [...known, undefined] : known;
}

interface Judging {
  readonly tiers: readonly (string | undefined)[];
  readonly namespace: string;
  readonly budget: { left: number };
}

function firstWidening(rule: Rule, direction: Direction, { tiers, namespace, budget }: Judging, ceiling: Ceiling): Widening | undefined {
  const wanted = portRulesSet(rule.ports);
  const piecesFor = splitOnce(rule, { namespace, budget }, ceiling.tierKey);
  const grantsOf = new Map(tiers.map((tier) => [tier, grantsFor(ceiling, direction, tier)]));
  const applying = new Set([...grantsOf.values()].flat());
  const judged = ceiling.grants[direction].filter((grant) => applying.has(grant));
  const holdingOf = holdingGrants(judged);
  for (const [tier, grants] of grantsOf) {
    const cuts = grants.flatMap((grant) => (grant.peer.kind === 'addresses' ? [grant.peer.cidr] : []));
    const allowedFor = allowedPortsOf(judged, grants);
    const covers = new Map<PortSet, boolean>();
    for (const piece of piecesFor(cuts)) {
      const allowed = allowedFor(holdingOf(piece));
      if (!covers.has(allowed)) covers.set(allowed, portsWithin(wanted, allowed));
      if (covers.get(allowed) === true) continue;
      const beyond = rule.ports.filter((port) => !portsWithin(portRuleSet(port), allowed));
      return { direction, rule: rule.index, tier, manyTiers: tiers.length > 1, piece, beyond, allowed, grants };
    }
  }
  return undefined;
}

/**
 * The rule's pieces for a set of the ceiling's CIDR cuts, the only thing splitting takes from a
 * tier: split and charged once per distinct set, and reused for every tier with the same cuts.
 * The budget thus pays for the policy's own peers, not once more for each tier its podSelector
 * may match (a podSelector {} policy of 2,500 peers would otherwise be charged four times).
 */
function splitOnce(rule: Rule, judging: Omit<Judging, 'tiers'>, tierKey: string): (cuts: readonly Cidr[]) => Piece[] {
  const split = new Map<string, Piece[]>();
  return (cuts) => {
    const key = cuts.map((cut) => `${cut.network}/${cut.prefix}`).join(' ');
    let pieces = split.get(key);
    if (pieces === undefined) {
      pieces = rulePieces(rule, judging, tierKey, cuts);
      split.set(key, pieces);
    }
    return pieces;
  };
}

/** Charged before the work: a peer and its except entries, then the pieces they make. */
function rulePieces(rule: Rule, { namespace, budget }: Omit<Judging, 'tiers'>, tierKey: string, cuts: readonly Cidr[]): Piece[] {
  const charge = (cost: number): void => {
    budget.left -= cost;
    if (budget.left < 0) throw new PolicyTooLargeError();
  };
  if (rule.peers.length === 0) {
    const pieces = anywherePieces(cuts);
    charge(pieces.length);
    return pieces;
  }
  const context = { namespace, tierKey, cuts, charge };
  return rule.peers.flatMap((peer) => {
    charge(1 + (peer.kind === 'ipBlock' ? peer.except.length : 0));
    return peerPieces(peer, context);
  });
}

/**
 * Which of `grants` hold all of a piece, as one character per grant ('1' holds): worked out
 * once per piece, then read by every tier it is judged for. (A piece was cut at the CIDRs of
 * exactly those tiers, so each address grant they have holds it entirely or not at all.) The
 * pieces of one peer share its pod selector (one per tier it names), so whether a grant's
 * selector holds it is decided once per selector: a peer naming thousands of namespaces costs
 * a lookup per piece, not a selector comparison.
 */
function holdingGrants(grants: readonly Grant[]): (piece: Piece) => string {
  const implied = new Map<Selector, boolean[]>();
  const holding = new Map<Piece, string>();
  const podsImply = (pods: Selector): boolean[] => {
    let known = implied.get(pods);
    if (known === undefined) {
      known = grants.map(({ peer }) => peer.kind === 'pods' && implies(pods, peer.pods));
      implied.set(pods, known);
    }
    return known;
  };
  return (piece) => {
    let held = holding.get(piece);
    if (held === undefined) {
      held = grants.map((grant, index) => (holds(grant, piece, (pods) => podsImply(pods)[index] === true) ? '1' : '0')).join('');
      holding.set(piece, held);
    }
    return held;
  };
}

/**
 * The ports the ceiling allows one tier's pods with every pod or address of a piece: the union
 * over the grants that hold all of it (`holding`, over `judged`) and apply to that tier
 * (`grants`), worked out once per set of holding grants.
 */
function allowedPortsOf(judged: readonly Grant[], grants: readonly Grant[]): (holding: string) => PortSet {
  const applies = judged.map((grant) => grants.includes(grant));
  const unions = new Map<string, PortSet>();
  return (holding) => {
    let ports = unions.get(holding);
    if (ports === undefined) {
      ports = judged.filter((_, index) => applies[index] && holding[index] === '1').reduce((union, grant) => unionPorts(union, grant.ports), noPorts);
      unions.set(holding, ports);
    }
    return ports;
  };
}

function holds({ peer }: Grant, piece: Piece, podsImplied: (pods: Selector) => boolean): boolean {
  if (peer.kind === 'anywhere') return true;
  if (peer.kind === 'addresses') return piece.kind === 'addresses' && pieceWithinCidr(piece, peer.cidr);
  if (piece.kind !== 'pods') return false;
  return (peer.namespace === undefined || peer.namespace === piece.namespaceName) && podsImplied(piece.pods);
}
