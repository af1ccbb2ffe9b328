/**
 * Cost of the reachability engine at DESIGN.md's sizes: one `explain` in a namespace with 200
 * policies (target ≤ 1 ms), and the full matrix for 1,000 pods × 1,000 policies across 100
 * namespaces (target ≤ 5 s, RSS ≤ 200 MiB); then the matrix at other sizes to show how the
 * cost grows. Each case runs in a fresh process so its peak RSS is its own; the engine runs in
 * process, as the CLI does after reading its input:
 *   node bench/reachability.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { matrixJson, runReachability } from '../src/cli/reachability.ts';
import type { NetworkPolicy } from '../src/kube/network-policy.ts';
import { describeVerdict } from '../src/reachability/describe.ts';
import { reachabilityMatrix } from '../src/reachability/matrix.ts';
import type { ContainerPort, PodInfo } from '../src/reachability/model.ts';
import { evaluate } from '../src/reachability/verdict.ts';
import { buildWorld, type World } from '../src/reachability/world.ts';

const tiers = ['ui', 'business', 'db'] as const;
const ports: ContainerPort[] = [
  { name: 'http', containerPort: 8080, protocol: 'TCP' },
  { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
];

function pods(namespace: string, count: number, nsIndex: number): PodInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    namespace,
    name: `${tiers[i % 3]}-${i}`,
    labels: { tier: tiers[i % 3] as string, app: `app-${i % 7}`, 'pod-template-hash': `h${i}` },
    ips: [`10.${nsIndex >> 8}.${nsIndex & 255}.${i + 1}`],
    ports,
  }));
}

/**
 * A namespace's policies, shaped like the seed profile and what teams add to it: a default
 * deny, DNS, cluster egress, the tier chain, cross-namespace peers with expressions, ipBlocks,
 * named ports and ranges; then per-app allows until `count`.
 */
function policies(namespace: string, count: number): NetworkPolicy[] {
  const np = (name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({ metadata: { name, namespace }, spec });
  const base: NetworkPolicy[] = [
    np('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    np('allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }] }] }),
    np('allow-cluster-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] }),
    np('allow-ingress-to-ui', { podSelector: { matchLabels: { tier: 'ui' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16'] } }, { namespaceSelector: {} }], ports: [{ port: 'http' }] }] }),
    np('allow-ui-to-business', { podSelector: { matchLabels: { tier: 'business' } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'ui' } } }], ports: [{ port: 8080 }] }] }),
    np('allow-business-to-db', { podSelector: { matchLabels: { tier: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'business' } } }, { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['stage', 'prod'] }] }, podSelector: { matchLabels: { tier: 'business' } } }], ports: [{ port: 8080, endPort: 8090 }] }] }),
    np('allow-metrics', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'monitoring' } } }], ports: [{ port: 'metrics' }] }] }),
  ];
  const extra = Array.from({ length: Math.max(0, count - base.length) }, (_, i) =>
    np(`allow-app-${i}`, {
      podSelector: { matchLabels: { app: `app-${i % 7}` } },
      ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: [`app-${(i + 1) % 7}`] }] } }, { ipBlock: { cidr: `10.${i % 4}.0.0/16` } }], ports: [{ port: 8080 + (i % 20) }] }],
    }),
  );
  return [...base, ...extra].slice(0, count);
}

function input(namespaceCount: number, podsPerNamespace: number, policiesPerNamespace: number) {
  const names = Array.from({ length: namespaceCount }, (_, i) => `team-${i}`);
  return {
    namespaces: names.map((name, i) => ({ name, labels: { env: ['dev', 'stage', 'prod'][i % 3] as string, team: i % 10 === 0 ? 'monitoring' : `t${i}` } })),
    pods: names.flatMap((name, i) => pods(name, podsPerNamespace, i)),
    policies: names.flatMap((name) => policies(name, policiesPerNamespace)),
  };
}

function world(namespaceCount: number, podsPerNamespace: number, policiesPerNamespace: number): World {
  return buildWorld(input(namespaceCount, podsPerNamespace, policiesPerNamespace));
}

/** The same input as multi-document YAML, as a user would hand it to the CLI. */
function manifests(namespaceCount: number, podsPerNamespace: number, policiesPerNamespace: number): string {
  const { namespaces, pods, policies } = input(namespaceCount, podsPerNamespace, policiesPerNamespace);
  const objects = [
    ...namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: n.labels } })),
    ...pods.map((p) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0', ports: p.ports }] },
      status: { podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) },
    })),
    ...policies.map((p) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...p })),
  ];
  return objects.map((o) => stringify(o)).join('---\n');
}

/** `netpol-hygiene reachability -f FILE -o json` in this process, its output discarded by the parent. */
async function cliBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-bench-'));
  try {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, manifests(100, 10, 10));
    const start = performance.now();
    await runReachability(['-f', file, '-o', 'json']);
    process.stderr.write(`CLI, reachability -f (1,000 pods, 1,000 policies, 100 namespaces as YAML) -o json: ${(performance.now() - start).toFixed(0)} ms including reading and parsing the YAML, peak RSS ${peakRss()}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;
/** Peak resident set of this process so far (maxRSS is in KiB). */
const peakRss = (): string => mib(process.resourceUsage().maxRSS * 1024);

function explainBench(): void {
  const w = world(1, 60, 200);
  const from = { pod: w.pods[0] as PodInfo };
  const to = { pod: w.pods[2] as PodInfo };
  const traffic = { port: 8080, protocol: 'TCP' as const };
  for (let i = 0; i < 2000; i++) evaluate(w, from, to, traffic);
  const rounds = 20000;
  let start = performance.now();
  for (let i = 0; i < rounds; i++) evaluate(w, from, to, traffic);
  const verdictMs = (performance.now() - start) / rounds;
  start = performance.now();
  for (let i = 0; i < 2000; i++) describeVerdict(w, evaluate(w, from, to, traffic));
  const explainMs = (performance.now() - start) / 2000;
  console.log(`explain, 1 namespace with 200 policies and 60 pods: verdict ${(verdictMs * 1000).toFixed(1)} µs, verdict + sentences ${(explainMs * 1000).toFixed(1)} µs (target ≤ 1 ms), peak RSS ${peakRss()}`);
}

function matrixBench(namespaces: number, podsPer: number, policiesPer: number, json: boolean): void {
  const start = performance.now();
  const w = world(namespaces, podsPer, policiesPer);
  const built = performance.now();
  const matrix = reachabilityMatrix(w, { port: 8080, protocol: 'TCP' });
  let allowed = 0;
  for (let i = 0; i < w.pods.length; i++) for (let j = 0; j < w.pods.length; j++) if (matrix.allowed(i, j)) allowed++;
  const computed = performance.now();
  const bytes = json ? matrixJson(matrix).length : 0;
  const done = performance.now();
  const pairs = w.pods.length ** 2;
  console.log(
    `matrix ${w.pods.length} pods × ${w.policies.length} policies / ${namespaces} namespaces: parse ${(built - start).toFixed(0)} ms, ` +
      `matrix ${(computed - built).toFixed(0)} ms (${pairs.toLocaleString('en')} pairs, ${allowed.toLocaleString('en')} allowed)` +
      (json ? `, JSON ${(done - computed).toFixed(0)} ms (${mib(bytes)})` : '') +
      `, peak RSS ${peakRss()}`,
  );
}

/** One case per process: `explain` or `matrix:<namespaces>:<pods per namespace>:<policies per namespace>[:json]`. */
async function runCase(name: string): Promise<void> {
  if (name === 'explain') return explainBench();
  if (name === 'cli') return cliBench();
  const [, namespaces, podsPer, policiesPer, json] = name.split(':');
  matrixBench(Number(namespaces), Number(podsPer), Number(policiesPer), json === 'json');
}

function inChild(name: string): void {
  const output = execFileSync(process.execPath, [new URL(import.meta.url).pathname, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  process.stdout.write(name === 'cli' ? '' : output);
}

function cliInChild(): void {
  const result = spawnSync(process.execPath, [new URL(import.meta.url).pathname, 'cli'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  process.stdout.write(result.stderr);
}

const single = process.argv[2];
if (single !== undefined) {
  await runCase(single);
} else {
  inChild('explain');
  cliInChild();
  console.log('target case (with the JSON the CLI prints):');
  inChild('matrix:100:10:10:json');
  console.log('growth, pods and policies scaled together (10 pods and 10 policies per namespace):');
  for (const n of [25, 50, 100, 200]) inChild(`matrix:${n}:10:10`);
  console.log('growth in policies alone (1,000 pods in 100 namespaces):');
  for (const p of [5, 20, 40]) inChild(`matrix:100:10:${p}`);
}
