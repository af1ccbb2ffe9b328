import { reachabilityMatrix } from './matrix.ts';
import { podKey, type Protocol } from './model.ts';
import type { Outcome } from './tiers.ts';
import type { World } from './world.ts';

/** A connection that one side allows and the other does not, over runs of ports. */
export interface ConnectionChange {
  readonly from: string;
  readonly to: string;
  readonly protocol: Protocol;
  /** Inclusive [first, last] ranges, ascending. */
  readonly ports: [number, number][];
}

export interface ConnectionDiff {
  readonly added: ConnectionChange[];
  readonly removed: ConnectionChange[];
  /**
   * Connections whose verdict after the change ClusterNetworkPolicies leave open (equal
   * priorities, domain names) and before did not; present only when there are some.
   */
  readonly undetermined?: ConnectionChange[];
}

const maxPort = 65535;

/**
 * Where the verdict can change along the port axis: a policy's verdict is the same for every
 * port between two consecutive boundaries, so one port per run stands for the run. Boundaries
 * are where a numeric port or range starts and just after it ends, and every container port
 * (a named port resolves to one) and the one after it.
 */
export function portRuns(worlds: readonly World[], protocol: Protocol): [number, number][] {
  const starts = new Set<number>([1]);
  for (const world of worlds) {
    for (const [first, last] of [...policyRanges(world, protocol), ...containerPorts(world, protocol)]) {
      starts.add(first);
      if (last < maxPort) starts.add(last + 1);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  return sorted.map((start, i) => [start, (sorted[i + 1] ?? maxPort + 1) - 1]);
}

/** The numeric ports and ranges the world's rules (NetworkPolicies' and ClusterNetworkPolicies') name for the protocol. */
function policyRanges(world: World, protocol: Protocol): [number, number][] {
  const rules = world.policies.flatMap((policy) => [...policy.rules.ingress, ...policy.rules.egress]);
  const ports = rules.flatMap((rule) => rule.ports).flatMap((port) => (port.protocol === protocol && typeof port.port === 'number' ? [[port.port, port.endPort ?? port.port] as [number, number]] : []));
  const clusterRules = world.clusterPolicies.flatMap((policy) => [...policy.rules.ingress, ...policy.rules.egress]);
  const clusterPorts = clusterRules.flatMap((rule) => rule.protocols).flatMap((p) => ('protocol' in p && p.protocol === protocol ? [[p.first, p.last] as [number, number]] : []));
  return [...ports, ...clusterPorts];
}

/** Every container port of the protocol: where a named port can resolve. */
function containerPorts(world: World, protocol: Protocol): [number, number][] {
  return world.pods.flatMap((pod) => pod.ports.filter((port) => port.protocol === protocol).map((port): [number, number] => [port.containerPort, port.containerPort]));
}

/**
 * The connections between pods that `after` allows and `before` does not (added) and the
 * reverse (removed), per protocol, over the given port runs. A pod that exists on one side
 * only has all its connections there counted as added or removed.
 */
export function diffConnections(before: World, after: World, protocol: Protocol, runs: readonly [number, number][]): ConnectionDiff {
  const changes = { added: new Map<string, ConnectionChange>(), removed: new Map<string, ConnectionChange>(), undetermined: new Map<string, ConnectionChange>() };
  for (const run of runs) {
    const old = pairOutcomes(before, protocol, run[0]);
    const now = pairOutcomes(after, protocol, run[0]);
    for (const pair of new Set([...old.keys(), ...now.keys()])) {
      const change = classify(old.get(pair), now.get(pair));
      if (change !== undefined) extend(changes[change], pair, protocol, run);
    }
  }
  const undetermined = [...changes.undetermined.values()];
  return { added: [...changes.added.values()], removed: [...changes.removed.values()], ...(undetermined.length > 0 ? { undetermined } : {}) };
}

/** A pair missing on one side (its pod does not exist there) counts as denied there. */
function classify(before: Outcome | undefined, after: Outcome | undefined): 'added' | 'removed' | 'undetermined' | undefined {
  if (after === 'undetermined') return before === 'undetermined' ? undefined : 'undetermined';
  if (after === 'allowed') return before === 'allowed' ? undefined : 'added';
  return before === 'allowed' ? 'removed' : undefined;
}

/** Every pair that is not certainly denied, with its outcome. */
function pairOutcomes(world: World, protocol: Protocol, port: number): Map<string, Outcome> {
  const matrix = reachabilityMatrix(world, { port, protocol });
  const keys = world.pods.map(podKey);
  const pairs = new Map<string, Outcome>();
  keys.forEach((from, i) => keys.forEach((to, j) => {
    const outcome = matrix.outcome(i, j);
    if (outcome !== 'denied') pairs.set(`${from}\n${to}`, outcome);
  }));
  return pairs;
}

/** Appends the run to the pair's ranges, joining it to the previous range when they touch. */
function extend(changes: Map<string, ConnectionChange>, pair: string, protocol: Protocol, run: readonly [number, number]): void {
  let change = changes.get(pair);
  if (change === undefined) {
    const [from, to] = pair.split('\n') as [string, string];
    change = { from, to, protocol, ports: [] };
    changes.set(pair, change);
  }
  const last = change.ports.at(-1);
  if (last !== undefined && last[1] + 1 === run[0]) last[1] = run[1];
  else change.ports.push([run[0], run[1]]);
}

export function describePorts(ports: readonly [number, number][]): string {
  return ports.map(([first, last]) => (first === last ? String(first) : first === 1 && last === maxPort ? 'all ports' : `${first}-${last}`)).join(', ');
}
