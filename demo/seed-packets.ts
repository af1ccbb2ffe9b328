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
const said = (allowed: boolean): string => (allowed ? 'allowed' : 'denied');

/** What every section of the comparison reads, and where it writes. */
interface Sections {
  readonly world: World;
  readonly workloads: readonly Workload[];
  readonly dns: Workload;
  readonly observed: Observed;
  readonly withIntent: boolean;
  readonly width: number;
  readonly lines: string[];
  readonly failures: string[];
}

/**
 * Truth tables per seed port (rows from, columns to) with intent, engine and packets side by
 * side, then the DNS pod's column. withIntent false (after a change the seed does not know
 * about) compares engine and packets only.
 */
export function compareSeedMatrix(world: World, dns: PodInfo, observed: Observed, withIntent = true): Comparison {
  const workloads = seedWorkloads(world);
  const dnsSource = dnsWorkload(dns);
  const width = Math.max(...[...workloads, dnsSource].map((w) => w.name.length));
  const sections: Sections = { world, workloads, dns: dnsSource, observed, withIntent, width, lines: [], failures: [] };
  for (const port of Object.values(seedPorts)) portSection(sections, port);
  dnsSection(sections);
  return { lines: sections.lines, failures: sections.failures };
}

function portSection(s: Sections, port: number): void {
  const matrix = reachabilityMatrix(s.world, { port, protocol: 'TCP' });
  const index = new Map(matrix.pods.map((pod, i) => [pod, i]));
  const columns = s.workloads.map((w, i) => `${i + 1} ${w.name}`).join(', ');
  const tableWidth = Math.max(s.workloads.length, 6);
  s.lines.push(`TCP/${port}: rows from, columns to (${columns}); . allowed, X denied, - not probed (a pod to itself)`);
  s.lines.push([''.padEnd(s.width), ...(s.withIntent ? ['intent'.padEnd(tableWidth)] : []), 'engine'.padEnd(tableWidth), 'packets'].join('  ').trimEnd());
  let differing = 0;
  for (const from of [...s.workloads, s.dns]) {
    const cells = s.workloads.map((to) => ({
      to,
      intent: intended(from, to, port),
      engine: matrix.allowed(index.get(from.pod) as number, index.get(to.pod) as number),
      packets: s.observed.get(probeKey({ from, to, port, protocol: 'TCP' })),
    }));
    const tables = [...(s.withIntent ? [cells.map((c) => mark(c.intent))] : []), cells.map((c) => mark(c.engine)), cells.map((c) => mark(c.packets))];
    s.lines.push([from.name.padEnd(s.width), ...tables.map((marks, i) => (i < tables.length - 1 ? marks.join('').padEnd(tableWidth) : marks.join('')))].join('  '));
    for (const c of cells) {
      const problems = cellProblems(c, s.withIntent);
      if (problems.length > 0) differing++;
      s.failures.push(...problems.map((p) => `${from.name} → ${c.to.name} on TCP/${port}: ${p}`));
    }
  }
  const agree = s.withIntent ? 'intent, engine and packets agree' : 'engine and packets agree';
  s.lines.push(`${differing === 0 ? 'ok  ' : 'FAIL'} TCP/${port}: ${agree}${differing === 0 ? '' : ` except in ${differing} cells`}`);
}

function cellProblems(c: { intent: boolean; engine: boolean; packets: boolean | undefined }, withIntent: boolean): string[] {
  const problems: string[] = [];
  if (withIntent && c.engine !== c.intent) problems.push(`the engine says ${said(c.engine)}, the seed ${said(c.intent)}`);
  if (c.packets !== undefined && c.packets !== c.engine) problems.push(`real packets were ${said(c.packets)}, the engine says ${said(c.engine)}`);
  return problems;
}

function dnsSection(s: Sections): void {
  s.lines.push(`to ${s.dns.name}: engine/packets per port (every workload must reach DNS)`);
  s.lines.push([''.padEnd(s.width), ...dnsTraffic.map((t) => `${t.protocol}/${t.port}`.padEnd(9))].join('  ').trimEnd());
  let differing = 0;
  for (const from of s.workloads) {
    const cells = dnsTraffic.map((t) => {
      const engine = evaluate(s.world, { pod: from.pod }, { pod: s.dns.pod }, { port: t.port, protocol: t.protocol }).allowed;
      const packets = s.observed.get(probeKey({ from, to: s.dns, port: t.port, protocol: t.protocol }));
      const problems = [
        ...(t.port === 53 && !engine ? ['the engine says denied, the seed allowed'] : []),
        ...(packets !== undefined && packets !== engine ? [`real packets were ${said(packets)}, the engine says ${said(engine)}`] : []),
      ];
      if (problems.length > 0) differing++;
      s.failures.push(...problems.map((p) => `${from.name} → ${s.dns.name} on ${t.protocol}/${t.port}: ${p}`));
      return `${mark(engine)}/${mark(packets)}`.padEnd(9);
    });
    s.lines.push([from.name.padEnd(s.width), ...cells].join('  ').trimEnd());
  }
  s.lines.push(`${differing === 0 ? 'ok  ' : 'FAIL'} DNS: engine${differing === 0 ? ', packets and the seed agree' : ` and packets differ in ${differing} cells`}`);
}
