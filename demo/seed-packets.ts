/**
 * The seed's matrix three ways: the seed's intent, the reachability engine over the live
 * cluster, and real packets on a node (harness/node/probe.ts). Pure: a World, the DNS pod and
 * the probes' outcomes in; upstream-style truth tables side by side and every differing cell out.
 */
import { reachabilityMatrix } from '../src/reachability/matrix.ts';
import type { PodInfo, Protocol } from '../src/reachability/model.ts';
import { evaluate } from '../src/reachability/verdict.ts';
import type { World } from '../src/reachability/world.ts';
import { intended, seedNamespaces, seedPorts } from './seed-intent.ts';
import { dnsMetricsPort } from './seed-workloads.ts';

export interface Workload {
  /** `products-prod/ui`, or `kube-system/coredns` for the DNS pod. */
  readonly name: string;
  readonly namespace: string;
  readonly app: string;
  readonly pod: PodInfo;
}

/** A connection tried: from a pod to a pod's first IP on a port. */
export interface Probe {
  readonly from: Workload;
  readonly to: Workload;
  readonly port: number;
  readonly protocol: Protocol;
}

/** The outcome of each probe by `probeKey`; a missing key was not probed. */
export type Observed = ReadonlyMap<string, boolean>;

export function probeKey(probe: Pick<Probe, 'from' | 'to' | 'port' | 'protocol'>): string {
  return `${probe.from.name} ${probe.to.name} ${probe.protocol}/${probe.port}`;
}

export function seedWorkloads(world: World): Workload[] {
  const order = (w: Workload): string => `${w.namespace} ${Object.keys(seedPorts).indexOf(w.app)}`;
  return world.pods
    .filter((pod) => (seedNamespaces as readonly string[]).includes(pod.namespace) && Object.hasOwn(seedPorts, pod.labels.app ?? ''))
    .map((pod) => ({ name: `${pod.namespace}/${pod.labels.app}`, namespace: pod.namespace, app: pod.labels.app as string, pod }))
    .sort((a, b) => order(a).localeCompare(order(b)));
}

export function dnsWorkload(dns: PodInfo): Workload {
  return { name: `${dns.namespace}/${dns.name}`, namespace: dns.namespace, app: dns.labels['k8s-app'] ?? '', pod: dns };
}

const dnsTraffic = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
  { port: dnsMetricsPort, protocol: 'TCP' },
] as const;

/**
 * Every connection to try: each workload and the DNS pod to each workload on each seed port,
 * and each workload to the DNS pod on DNS (UDP and TCP) and its metrics port. A pod to itself
 * is left out: it goes over the pod's own loopback, where no NetworkPolicy applies.
 */
export function seedProbes(world: World, dns: PodInfo): Probe[] {
  const workloads = seedWorkloads(world);
  const dnsSource = dnsWorkload(dns);
  const probes: Probe[] = [];
  for (const from of [...workloads, dnsSource]) {
    for (const to of workloads) {
      if (from.pod === to.pod) continue;
      for (const port of Object.values(seedPorts)) probes.push({ from, to, port, protocol: 'TCP' });
    }
  }
  for (const from of workloads) for (const t of dnsTraffic) probes.push({ from, to: dnsSource, port: t.port, protocol: t.protocol });
  return probes;
}

export interface Comparison {
  readonly lines: string[];
  readonly failures: string[];
}

const mark = (allowed: boolean | undefined): string => (allowed === undefined ? '-' : allowed ? '.' : 'X');

/**
 * Truth tables per seed port (rows from, columns to) with intent, engine and packets side by
 * side, then the DNS pod's column. withIntent false (after a change the seed does not know
 * about) compares engine and packets only.
 */
export function compareSeedMatrix(world: World, dns: PodInfo, observed: Observed, withIntent = true): Comparison {
  const workloads = seedWorkloads(world);
  const sources = [...workloads, dnsWorkload(dns)];
  const width = Math.max(...sources.map((w) => w.name.length));
  const lines: string[] = [];
  const failures: string[] = [];
  const columns = workloads.map((w, i) => `${i + 1} ${w.name}`).join(', ');
  for (const port of Object.values(seedPorts)) {
    const matrix = reachabilityMatrix(world, { port, protocol: 'TCP' });
    const index = new Map(matrix.pods.map((pod, i) => [pod, i]));
    const cellsFor = (from: Workload) =>
      workloads.map((to) => ({
        to,
        intent: intended(from, to, port),
        engine: matrix.allowed(index.get(from.pod) as number, index.get(to.pod) as number),
        packets: observed.get(probeKey({ from, to, port, protocol: 'TCP' })),
      }));
    lines.push(`TCP/${port}: rows from, columns to (${columns}); . allowed, X denied, - not probed (a pod to itself)`);
    lines.push([''.padEnd(width), ...(withIntent ? ['intent'.padEnd(workloads.length)] : []), 'engine'.padEnd(workloads.length), 'packets'].join('  ').trimEnd());
    let differing = 0;
    for (const from of sources) {
      const cells = cellsFor(from);
      const row = [from.name.padEnd(width)];
      if (withIntent) row.push(cells.map((c) => mark(c.intent)).join('').padEnd(Math.max(workloads.length, 6)));
      row.push(cells.map((c) => mark(c.engine)).join('').padEnd(Math.max(workloads.length, 6)), cells.map((c) => mark(c.packets)).join(''));
      lines.push(row.join('  '));
      for (const c of cells) {
        const problems = cellProblems(c, withIntent);
        if (problems.length > 0) differing++;
        failures.push(...problems.map((p) => `${from.name} → ${c.to.name} on TCP/${port}: ${p}`));
      }
    }
    lines.push(`${differing === 0 ? 'ok  ' : 'FAIL'} TCP/${port}: ${withIntent ? 'intent, engine and packets agree' : 'engine and packets agree'}${differing === 0 ? '' : ` except in ${differing} cells`}`);
  }
  dnsSection(world, workloads, dnsWorkload(dns), observed, width, lines, failures);
  return { lines, failures };
}

function cellProblems(c: { intent: boolean; engine: boolean; packets: boolean | undefined }, withIntent: boolean): string[] {
  const said = (b: boolean): string => (b ? 'allowed' : 'denied');
  const problems: string[] = [];
  if (withIntent && c.engine !== c.intent) problems.push(`the engine says ${said(c.engine)}, the seed ${said(c.intent)}`);
  if (c.packets !== undefined && c.packets !== c.engine) problems.push(`real packets were ${said(c.packets)}, the engine says ${said(c.engine)}`);
  return problems;
}

function dnsSection(world: World, workloads: readonly Workload[], dns: Workload, observed: Observed, width: number, lines: string[], failures: string[]): void {
  const headers = dnsTraffic.map((t) => `${t.protocol}/${t.port}`);
  lines.push(`to ${dns.name}: engine/packets per port (every workload must reach DNS)`);
  lines.push([''.padEnd(width), ...headers.map((h) => h.padEnd(9))].join('  ').trimEnd());
  let differing = 0;
  for (const from of workloads) {
    const cells = dnsTraffic.map((t) => {
      const engine = evaluate(world, { pod: from.pod }, { pod: dns.pod }, { port: t.port, protocol: t.protocol }).allowed;
      const packets = observed.get(probeKey({ from, to: dns, port: t.port, protocol: t.protocol }));
      const problems: string[] = [];
      if (t.port === 53 && !engine) problems.push('the engine says denied, the seed allowed');
      if (packets !== undefined && packets !== engine) problems.push(`real packets were ${packets ? 'allowed' : 'denied'}, the engine says ${engine ? 'allowed' : 'denied'}`);
      if (problems.length > 0) differing++;
      failures.push(...problems.map((p) => `${from.name} → ${dns.name} on ${t.protocol}/${t.port}: ${p}`));
      return `${mark(engine)}/${mark(packets)}`.padEnd(9);
    });
    lines.push([from.name.padEnd(width), ...cells].join('  ').trimEnd());
  }
  lines.push(`${differing === 0 ? 'ok  ' : 'FAIL'} DNS: engine${differing === 0 ? ', packets and the seed agree' : ` and packets differ in ${differing} cells`}`);
}
