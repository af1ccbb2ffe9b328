/**
 * The seed scenario's intent (../shared/seed/network-policy-tutorial.txt), checked against what
 * the reachability engine says the cluster's NetworkPolicies allow: UI from anywhere, business
 * only from UI, DB only from business (prod's DB also from products-stage's business), DNS
 * reachable from every pod, DB egress only inside the cluster. Pure: a World in, lines out.
 */
import { reachabilityMatrix } from '../src/reachability/matrix.ts';
import type { PodInfo, Traffic } from '../src/reachability/model.ts';
import { evaluate } from '../src/reachability/verdict.ts';
import type { World } from '../src/reachability/world.ts';

export const seedNamespaces = ['products-prod', 'products-stage'] as const;
export const seedPorts = { ui: 8080, business: 8081, db: 8082 } as const;
type Tier = keyof typeof seedPorts;
/** An address outside the cluster (TEST-NET-3, RFC 5737). */
export const outsideAddress = '203.0.113.10';

/** A workload of the seed: its namespace and app (the Deployment's name), as `products-prod/ui`. */
interface Workload {
  readonly name: string;
  readonly namespace: string;
  readonly app: string;
  readonly pod: PodInfo;
}

export interface IntentReport {
  /** The matrices and checks, one line each, for the demo to print. */
  readonly lines: readonly string[];
  /** Every way the cluster differs from the intent; empty when it matches. */
  readonly failures: readonly string[];
}

/** Whether the seed means `from` to reach `to` on `port`: the destination's tier decides. */
export function intended(from: { namespace: string; app: string }, to: { namespace: string; app: string }, port: number): boolean {
  const tier = to.app as Tier;
  if (seedPorts[tier] !== port) return false;
  if (tier === 'ui') return true;
  if (tier === 'business') return from.app === 'ui' && from.namespace === to.namespace;
  const sameNamespace = from.namespace === to.namespace || (to.namespace === 'products-prod' && from.namespace === 'products-stage');
  return from.app === 'business' && sameNamespace;
}

/**
 * One row per source, one column per destination, over the seed's six workloads plus the DNS
 * pod as a source from another namespace; `.` allowed, `X` denied, as upstream's truth tables.
 */
export function checkSeedIntent(world: World, dns: PodInfo): IntentReport {
  const workloads = seedWorkloads(world);
  const lines: string[] = [];
  const failures: string[] = [];
  for (const port of Object.values(seedPorts)) matrixSection(world, workloads, dns, port, lines, failures);
  const checks = [dnsCheck(workloads, world, dns), egressCheck(workloads, world, dns), outsideCheck(workloads, world)];
  for (const check of checks) {
    lines.push(`${check.failures.length === 0 ? 'ok  ' : 'FAIL'} ${check.what}`);
    failures.push(...check.failures);
  }
  return { lines, failures };
}

function seedWorkloads(world: World): Workload[] {
  const workloads = world.pods
    .filter((pod) => (seedNamespaces as readonly string[]).includes(pod.namespace) && Object.hasOwn(seedPorts, pod.labels.app ?? ''))
    .map((pod) => ({ name: `${pod.namespace}/${pod.labels.app}`, namespace: pod.namespace, app: pod.labels.app as string, pod }));
  const order = (w: Workload): string => `${w.namespace} ${Object.keys(seedPorts).indexOf(w.app)}`;
  return workloads.sort((a, b) => order(a).localeCompare(order(b)));
}

function matrixSection(world: World, workloads: readonly Workload[], dns: PodInfo, port: number, lines: string[], failures: string[]): void {
  const traffic: Traffic = { port, protocol: 'TCP' };
  const matrix = reachabilityMatrix(world, traffic);
  const index = new Map(matrix.pods.map((pod, i) => [pod, i]));
  const sources = [...workloads, { name: `${dns.namespace}/${dns.name}`, namespace: dns.namespace, app: dns.labels['k8s-app'] ?? '', pod: dns }];
  const width = Math.max(...sources.map((w) => w.name.length));
  const mismatches: string[] = [];
  lines.push(`TCP/${port}: rows from, columns to; . allowed, X denied`, [''.padEnd(width), ...workloads.map((w) => w.name.padEnd(width))].join(' ').trimEnd());
  for (const from of sources) {
    const cells = workloads.map((to) => {
      const allowed = matrix.allowed(index.get(from.pod) as number, index.get(to.pod) as number);
      if (allowed !== intended(from, to, port)) mismatches.push(`${from.name} → ${to.name} on TCP/${port} is ${allowed ? 'allowed' : 'denied'}, the seed says ${allowed ? 'denied' : 'allowed'}`);
      return (allowed ? '.' : 'X').padEnd(width);
    });
    lines.push([from.name.padEnd(width), ...cells].join(' ').trimEnd());
  }
  lines.push(`${mismatches.length === 0 ? 'ok  ' : 'FAIL'} TCP/${port} matches the seed's intent`);
  failures.push(...mismatches);
}

interface Check {
  readonly what: string;
  readonly failures: string[];
}

function dnsCheck(workloads: readonly Workload[], world: World, dns: PodInfo): Check {
  const failures = workloads.flatMap((w) =>
    (['UDP', 'TCP'] as const).filter((protocol) => !evaluate(world, { pod: w.pod }, { pod: dns }, { port: 53, protocol }).allowed).map((protocol) => `${w.name} cannot reach ${dns.namespace}/${dns.name} on ${protocol}/53`),
  );
  return { what: `every workload reaches DNS (${dns.namespace}/${dns.name}) on UDP/53 and TCP/53`, failures };
}

/** DB egress stays inside the cluster: out to an outside address is denied, to a pod elsewhere allowed. */
function egressCheck(workloads: readonly Workload[], world: World, dns: PodInfo): Check {
  const failures: string[] = [];
  for (const db of workloads.filter((w) => w.app === 'db')) {
    if (evaluate(world, { pod: db.pod }, { ip: outsideAddress }, { port: 443, protocol: 'TCP' }).allowed) failures.push(`${db.name} reaches ${outsideAddress}:443 outside the cluster`);
    if (!evaluate(world, { pod: db.pod }, { pod: dns }, { port: 9153, protocol: 'TCP' }).allowed) failures.push(`${db.name} cannot reach a pod in another namespace (${dns.namespace}/${dns.name}:9153)`);
  }
  return { what: `the DB tier's egress stays inside the cluster: ${outsideAddress}:443 denied, other namespaces' pods allowed`, failures };
}

/** "UI from anywhere" includes addresses outside the cluster; business and DB do not take them. */
function outsideCheck(workloads: readonly Workload[], world: World): Check {
  const failures: string[] = [];
  for (const w of workloads) {
    const port = seedPorts[w.app as Tier];
    const allowed = evaluate(world, { ip: outsideAddress }, { pod: w.pod }, { port, protocol: 'TCP' }).allowed;
    if (allowed !== (w.app === 'ui')) failures.push(`${outsideAddress} → ${w.name} on TCP/${port} is ${allowed ? 'allowed' : 'denied'}`);
  }
  return { what: `from ${outsideAddress} (outside the cluster) only the UI tier is reachable`, failures };
}
