import { reachabilityMatrix } from './matrix.ts';
import { podKey, type Protocol } from './model.ts';
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

/** The numeric ports and ranges the world's rules name for the protocol. */
function policyRanges(world: World, protocol: Protocol): [number, number][] {
  const rules = world.policies.flatMap((policy) => [...policy.rules.ingress, ...policy.rules.egress]);
  return rules.flatMap((rule) => rule.ports).flatMap((port) => (port.protocol === protocol && typeof port.port === 'number' ? [[port.port, port.endPort ?? port.port] as [number, number]] : []));
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
  const added = new Map<string, ConnectionChange>();
  const removed = new Map<string, ConnectionChange>();
  for (const run of runs) {
    const old = allowedPairs(before, protocol, run[0]);
    const now = allowedPairs(after, protocol, run[0]);
    for (const pair of now) if (!old.has(pair)) extend(added, pair, protocol, run);
    for (const pair of old) if (!now.has(pair)) extend(removed, pair, protocol, run);
  }
  return { added: [...added.values()], removed: [...removed.values()] };
}

function allowedPairs(world: World, protocol: Protocol, port: number): Set<string> {
  const matrix = reachabilityMatrix(world, { port, protocol });
  const keys = world.pods.map(podKey);
  const pairs = new Set<string>();
  keys.forEach((from, i) => keys.forEach((to, j) => {
    if (matrix.allowed(i, j)) pairs.add(`${from}\n${to}`);
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
