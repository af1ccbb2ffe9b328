import { Bitset } from './bitset.ts';
import { selectorMatches } from './label-selector.ts';
import type { PodInfo, Traffic } from './model.ts';
import { ipBlockContains, type Peer, selectorPeerMatchesPod } from './peers.ts';
import type { Direction, Policy, Rule } from './policy.ts';
import { portRuleMatches } from './ports.ts';
import { applyingPolicies, combine, decideThroughTiers, type Outcome, type Stage, tierStages } from './tiers.ts';
import type { World } from './world.ts';

/** Who may connect to whom on one port: `allowed(from, to)` over indexes into `pods`. */
export interface Matrix {
  readonly pods: readonly PodInfo[];
  readonly traffic: Traffic;
  /** outcome(from, to) is allowed. */
  allowed(from: number, to: number): boolean;
  outcome(from: number, to: number): Outcome;
}

/**
 * The same answers as `evaluate` for every ordered pair of pods, computed as set unions: each
 * rule's peers are matched against every pod once, each policy's selected pods once, and a
 * pair then costs two bit lookups. Cost grows with pods × rules for the sets and pods² / 32
 * for the unions, instead of pods² × policies.
 */
export function reachabilityMatrix(world: World, traffic: Traffic): Matrix {
  const pods = world.pods;
  const index = new Map(pods.map((pod, i) => [pod, i]));
  const sets = new RuleSets(world, traffic);
  const egress: (Bitset | undefined)[] = new Array(pods.length).fill(undefined);
  const ingress: (Bitset | undefined)[] = new Array(pods.length).fill(undefined);
  for (const policy of world.policies) {
    for (const pod of selectedPods(world, policy)) {
      const i = index.get(pod) as number;
      if (policy.isolates.egress) egress[i] = addEgress(egress[i] ?? new Bitset(pods.length), sets, policy.rules.egress);
      if (policy.isolates.ingress) ingress[i] = addIngress(ingress[i] ?? new Bitset(pods.length), sets, policy.rules.ingress, i);
    }
  }
  const networkPolicies = { egress: (from: number, to: number): boolean | undefined => egress[from]?.has(to), ingress: (from: number, to: number): boolean | undefined => ingress[to]?.has(from) };
  if (world.clusterPolicies.length === 0) {
    const allowed = (from: number, to: number): boolean => (networkPolicies.egress(from, to) ?? true) && (networkPolicies.ingress(from, to) ?? true);
    return { pods, traffic, allowed, outcome: (from, to) => (allowed(from, to) ? 'allowed' : 'denied') };
  }
  const outcome = withClusterPolicies(world, traffic, networkPolicies);
  return { pods, traffic, allowed: (from, to) => outcome(from, to) === 'allowed', outcome };
}

type NetworkPolicyTier = Readonly<Record<Direction, (from: number, to: number) => boolean | undefined>>;

/**
 * With ClusterNetworkPolicies, a side whose pod is the subject of one goes through the tiers
 * pair by pair (the NetworkPolicy tier's answer still from the sets); other sides keep the
 * NetworkPolicy answer, which is then final or falls through to the default.
 */
function withClusterPolicies(world: World, traffic: Traffic, networkPolicies: NetworkPolicyTier): (from: number, to: number) => Outcome {
  const pods = world.pods;
  const stagesOf = (direction: Direction): (readonly Stage[] | undefined)[] => pods.map((pod) => {
    const applying = applyingPolicies(world, pod, direction);
    return applying.length === 0 ? undefined : tierStages(applying);
  });
  const stages = { egress: stagesOf('egress'), ingress: stagesOf('ingress') };
  const side = (direction: Direction, from: number, to: number): Outcome => {
    const [self, other] = direction === 'egress' ? [from, to] : [to, from];
    const answer = (): boolean | undefined => networkPolicies[direction](from, to);
    const own = stages[direction][self];
    if (own === undefined) return answer() === false ? 'denied' : 'allowed';
    const pod = pods[self] as PodInfo;
    const connection = { direction, pod, other: { pod: pods[other] as PodInfo }, traffic, destination: pods[to] as PodInfo };
    return decideThroughTiers(world, connection, answer, own).outcome;
  };
  return (from, to) => {
    const egress = side('egress', from, to);
    return egress === 'denied' ? 'denied' : combine(egress, side('ingress', from, to));
  };
}

function selectedPods(world: World, policy: Policy): PodInfo[] {
  return world.pods.filter((pod) => pod.namespace === policy.namespace && selectorMatches(policy.podSelector, pod.labels));
}

/** Egress: destinations some rule's peers cover and whose ports (named ones resolved on them) match. */
function addEgress(allowed: Bitset, sets: RuleSets, rules: readonly Rule[]): Bitset {
  for (const rule of rules) allowed.unionIntersection(sets.peers(rule), sets.portDestinations(rule));
  return allowed;
}

/** Ingress: sources of every rule whose ports match on this destination pod. */
function addIngress(allowed: Bitset, sets: RuleSets, rules: readonly Rule[], destination: number): Bitset {
  for (const rule of rules) if (sets.portDestinations(rule).has(destination)) allowed.union(sets.peers(rule));
  return allowed;
}

/** Per-rule pod sets, computed on first use and kept for every pod the rule's policy selects. */
class RuleSets {
  private readonly world: World;
  private readonly traffic: Traffic;
  private readonly peerSets = new Map<Rule, Bitset>();
  private readonly portSets = new Map<Rule, Bitset>();
  private readonly owners = new Map<Rule, Policy>();

  constructor(world: World, traffic: Traffic) {
    this.world = world;
    this.traffic = traffic;
    for (const policy of world.policies) for (const direction of ['ingress', 'egress'] as Direction[]) for (const rule of policy.rules[direction]) this.owners.set(rule, policy);
  }

  /** The pods the rule's peers cover; every pod when it has none. */
  peers(rule: Rule): Bitset {
    let set = this.peerSets.get(rule);
    if (set === undefined) {
      set = rule.peers.length === 0 ? Bitset.full(this.world.pods.length) : this.peerUnion(rule);
      this.peerSets.set(rule, set);
    }
    return set;
  }

  /** The destination pods on which the rule's ports match the traffic. */
  portDestinations(rule: Rule): Bitset {
    let set = this.portSets.get(rule);
    if (set === undefined) {
      set = this.portMatches(rule);
      this.portSets.set(rule, set);
    }
    return set;
  }

  private peerUnion(rule: Rule): Bitset {
    const namespace = (this.owners.get(rule) as Policy).namespace;
    const set = new Bitset(this.world.pods.length);
    this.world.pods.forEach((pod, i) => {
      if (rule.peers.some((peer) => this.peerCoversPod(peer, namespace, pod))) set.add(i);
    });
    return set;
  }

  private peerCoversPod(peer: Peer, namespace: string, pod: PodInfo): boolean {
    if (peer.kind === 'ipBlock') return pod.ips.some((ip) => ipBlockContains(peer, ip));
    return selectorPeerMatchesPod(peer, namespace, pod, this.world.namespaceLabels);
  }

  private portMatches(rule: Rule): Bitset {
    const size = this.world.pods.length;
    if (rule.ports.length === 0) return Bitset.full(size);
    // Numeric ports match or not whatever the destination; only named ones need each pod.
    if (rule.ports.every((port) => typeof port.port !== 'string')) {
      return rule.ports.some((port) => portRuleMatches(port, this.traffic, undefined)) ? Bitset.full(size) : new Bitset(size);
    }
    const set = new Bitset(size);
    this.world.pods.forEach((pod, i) => {
      if (rule.ports.some((port) => portRuleMatches(port, this.traffic, pod))) set.add(i);
    });
    return set;
  }
}
