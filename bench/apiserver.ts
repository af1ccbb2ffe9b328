/**
 * `npm run bench:apiserver`: what netpol-hygiene costs a pod create through a real
 * kube-apiserver, against a ceiling measured in the same run (issue 22). One control plane
 * (etcd, kube-apiserver, kube-controller-manager from `npm run cluster:build`) and two
 * webhooks, both run as the image runs node (bench/apiserver-webhooks.ts):
 *
 *   serve  netpol-hygiene, `dist/cli/main.js serve` built by `npm run build`;
 *   noop   a fastify HTTPS server answering `allowed: true` for the request's uid: the limit
 *          no admission webhook can beat (bench/noop-webhook.ts).
 *
 * Our webhook configurations (manifests/base) are registered with every clientConfig pointed
 * at one of them, or not registered at all (`none`, to see what a webhook adds); or at the no-op
 * answering mutate-pods with the tier-source annotation patch (`noop-annotating`, to see what
 * that patch alone costs). Each round measures the registrations (--registrations, default
 * none,noop,serve), in an order rotated from round to round, on two paths:
 *
 *   carried   pods that carry their tier label (serve has nothing to inject);
 *   injected  pods without one, in namespaces whose default tier serve injects.
 *
 * A phase: a registration switch (kube-apiserver proven to call exactly that server), a
 * warm-up, then `--pods` creates over `--namespaces` namespaces, `--concurrency` at a time,
 * over keep-alive connections, every create timed here; the CPU each process spent meanwhile
 * (/proc), the webhooks' RSS, and what kube-apiserver counted (requests by verb and resource,
 * watch events); then the pods are deleted, so every phase starts from the same cluster.
 * Targets are ratios to, or margins over, the no-op measured in the same run. Afterwards,
 * `--burst` namespaces are created at once with serve registered, timed until every one has
 * its baseline. A measurement that asserts nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { type ControlPlane, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { stopAll } from '../harness/processes.ts';
import { type BenchWebhook, type Registered, type ServeWebhook, buildScripts, register, serverOf, startNoop, startServe, writeServingTls } from './apiserver-webhooks.ts';
import { imageEnvironment, imageNodeFlags, podHeapMiB } from './image-runtime.ts';
import { summarize } from './load.ts';
import { countConnections, cpuSeconds, machineBusySeconds, peakRssKiB, sampleRss } from './proc.ts';
import { formatProfile, readProfile, summarizeProfile } from './profile-summary.ts';
import { countSyscalls } from './syscalls.ts';
import { type Counters, counterGrowth, parseCounters } from './prometheus.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    pods: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '100' },
    'first-warmup': { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    burst: { type: 'string', default: '200' },
    'cpu-prof': { type: 'boolean', default: false },
    'serve-script': { type: 'string' },
    syscalls: { type: 'boolean', default: false },
    registrations: { type: 'string', default: 'none,noop,serve' },
    paths: { type: 'string', default: 'carried,injected' },
    keep: { type: 'boolean', default: false },
  },
});
const options = {
  rounds: Number(args.rounds),
  pods: Number(args.pods),
  warmup: Number(args.warmup),
  /** The first creates of a fresh process run unoptimised code: not what a pod create costs once it runs. */
  firstWarmup: Number(args['first-warmup']),
  namespaces: Number(args.namespaces),
  concurrency: Number(args.concurrency),
  burst: Number(args.burst),
  cpuProf: args['cpu-prof'],
  /** Another build of serve's main.js (e.g. of an earlier commit) instead of this tree's dist/. */
  serveScript: args['serve-script'],
  /** strace -c the registered webhook through each phase: system calls per create (slows it: CPU and latency figures then mean nothing). */
  syscalls: args.syscalls,
  /** Which registrations each round runs; noop-annotating measures what the tier-source patch alone costs kube-apiserver. */
  registrations: args.registrations.split(',') as Registered[],
  paths: args.paths.split(',') as Path[],
  keep: args.keep || args['cpu-prof'],
};

/** Issue 22's targets, each against the no-op measured in the same run. */
const targets = { cpuOfNoop: 1.2, p50OverNoopMs: 1, rssOverNoopMiB: 15, apiserverCpuOverNoopMs: 0.3 } as const;
const managedBy = 'app.kubernetes.io/managed-by=netpol-hygiene';
const baselinePolicies = 6;
const defaultTierLabel = 'netpol-hygiene.io/default-tier';

type Path = 'carried' | 'injected';
const { paths, registrations } = options;
for (const name of registrations) if (!['none', 'noop', 'serve', 'noop-annotating'].includes(name)) throw new Error(`--registrations: unknown "${name}"`);
for (const name of paths) if (name !== 'carried' && name !== 'injected') throw new Error(`--paths: unknown "${name}"`);

interface Phase {
  readonly round: number;
  readonly registered: Registered;
  readonly path: Path;
  readonly clientMs: readonly number[];
  readonly failed: readonly string[];
  readonly seconds: number;
  /** CPU seconds each process spent during the creates. */
  readonly cpu: Readonly<Record<'serve' | 'noop' | 'apiserver' | 'etcd' | 'controllerManager', number>>;
  /** Busy CPU seconds of the whole machine (all cores) per second of the phase. */
  readonly machineBusy: number;
  readonly load1: number;
  readonly rssMiB: Readonly<Record<'serve' | 'noop', number>>;
  /** Connections kube-apiserver held to the registered webhook during the creates: each one a TLS handshake. */
  readonly connections?: number;
  /** --syscalls: the registered webhook's system calls during the creates, by name. */
  readonly syscalls?: ReadonlyMap<string, number>;
  /** What kube-apiserver counted during the creates, other than the creates themselves. */
  readonly requests: ReadonlyMap<string, number>;
  readonly watchEvents: ReadonlyMap<string, number>;
  readonly serveLines: { readonly audit: number; readonly other: number };
  readonly window: { readonly startUs: number; readonly endUs: number };
}

// ---------------------------------------------------------------------------------------------
// The client: keep-alive connections with the admin certificate, as a controller keeps them

type Post = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: string }>;

function keepAliveClient(cp: ControlPlane): Post {
  const config = parseYaml(readFileSync(cp.kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] };
  const user = config.users[0]?.user ?? {};
  const decode = (key: string): string => Buffer.from(user[key] ?? '', 'base64').toString();
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, ca: cp.caPem, cert: decode('client-certificate-data'), key: decode('client-key-data') });
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
      const req = request(new URL(path, cp.serverUrl), { method, agent, headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
}

function podObject(name: string, path: Path): Record<string, unknown> {
  const labels = path === 'carried' ? { app: 'bench', tier: 'ui' } : { app: 'bench' };
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] } };
}

/** `count` pod creates over the namespaces, `concurrency` in flight: each one's latency as this client saw it. */
async function createPods(post: Post, namespaces: readonly string[], path: Path, count: number, prefix: string): Promise<{ clientMs: number[]; failed: string[] }> {
  const clientMs: number[] = [];
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const namespace = namespaces[i % namespaces.length] as string;
      const started = performance.now();
      const response = await post('POST', `/api/v1/namespaces/${namespace}/pods`, podObject(`${prefix}-${i}`, path));
      clientMs.push(performance.now() - started);
      if (response.status !== 201) failed.push(`${response.status} ${response.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { clientMs, failed };
}

/** Unscheduled pods go at once (no kubelet to wait for): the next phase starts from the same cluster. */
async function deletePods(cp: ControlPlane, namespaces: readonly string[]): Promise<void> {
  await Promise.all(namespaces.map((ns) => cp.api('DELETE', `/api/v1/namespaces/${ns}/pods`)));
  await waitFor('pods deleted', 120_000, [], async () => {
    const counts = await Promise.all(namespaces.map(async (ns) => ((await cp.api('GET', `/api/v1/namespaces/${ns}/pods?limit=1`)).json as { items: unknown[] }).items.length));
    return counts.every((n) => n === 0);
  });
}

// ---------------------------------------------------------------------------------------------
// Cluster set-up

async function createNamespaces(cp: ControlPlane, names: readonly string[], labels: Record<string, string> = {}): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const response = await cp.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
      if (response.status !== 201) throw new Error(`creating namespace ${name}: ${response.status} ${response.body.slice(0, 300)}`);
    }),
  );
}

/** Namespaces (of `names`) holding the whole baseline. */
async function namespacesWithBaseline(cp: ControlPlane, names: ReadonlySet<string>): Promise<number> {
  const list = (await cp.api('GET', `/apis/networking.k8s.io/v1/networkpolicies?labelSelector=${encodeURIComponent(managedBy)}`)).json as { items: { metadata: { namespace: string } }[] };
  const perNamespace = new Map<string, number>();
  for (const item of list.items) if (names.has(item.metadata.namespace)) perNamespace.set(item.metadata.namespace, (perNamespace.get(item.metadata.namespace) ?? 0) + 1);
  return [...perNamespace.values()].filter((n) => n >= baselinePolicies).length;
}

async function scrapeCounters(cp: ControlPlane): Promise<Counters> {
  const response = await cp.api('GET', '/metrics');
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  return parseCounters(response.body, ['apiserver_request_total', 'apiserver_watch_events_total']);
}

// ---------------------------------------------------------------------------------------------
// One phase

interface Bench {
  readonly cp: ControlPlane;
  readonly work: string;
  readonly post: Post;
  readonly serve: ServeWebhook;
  readonly noop: BenchWebhook;
  readonly namespaces: Readonly<Record<Path, readonly string[]>>;
}

function processCpu(bench: Bench): Record<keyof Phase['cpu'], number> {
  const { pids } = bench.cp;
  const read = (pid: number): number => cpuSeconds(pid) ?? Number.NaN;
  return { serve: read(bench.serve.pid), noop: read(bench.noop.pid), apiserver: read(pids.apiserver), etcd: read(pids.etcd), controllerManager: read(pids.controllerManager) };
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function runPhase(bench: Bench, round: number, registered: Registered, path: Path): Promise<Phase> {
  const { cp, post, serve } = bench;
  const namespaces = bench.namespaces[path];
  const prefix = `r${round}-${registered}`;
  const warm = await createPods(post, namespaces, path, options.warmup, `${prefix}-warm`);
  if (warm.failed.length > 0) throw new Error(`${prefix} ${path} warm-up: ${warm.failed.length} creates failed (first: ${warm.failed[0]})`);
  const counters0 = await scrapeCounters(cp);
  const out0 = serve.read();
  const lines0 = { audit: out0.auditLines, all: out0.lines };
  const rss = { serve: sampleRss(serve.pid), noop: sampleRss(bench.noop.pid) };
  const server = serverOf(registered);
  const connections = server === undefined ? undefined : countConnections(bench[server].port);
  const strace = !options.syscalls || server === undefined ? undefined : await countSyscalls(bench[server].pid, join(bench.work, 'strace.txt'));
  const cpu0 = processCpu(bench);
  const machine0 = machineBusySeconds() ?? Number.NaN;
  const startUs = monotonicUs();
  const started = performance.now();
  const { clientMs, failed } = await createPods(post, namespaces, path, options.pods, prefix);
  const seconds = (performance.now() - started) / 1000;
  const endUs = monotonicUs();
  const cpu1 = processCpu(bench);
  const machine1 = machineBusySeconds() ?? Number.NaN;
  const rssMiB = { serve: (rss.serve.stop() ?? Number.NaN) / 1024, noop: (rss.noop.stop() ?? Number.NaN) / 1024 };
  const connectionCount = connections?.stop();
  const syscalls = await strace?.stop();
  const out1 = serve.read();
  const serveLines = { audit: out1.auditLines - lines0.audit, other: out1.lines - lines0.all - (out1.auditLines - lines0.audit) };
  const counters1 = await scrapeCounters(cp);
  // Resource requests only (not this bench's GET /metrics), this bench's own creates taken out.
  const requests = counterGrowth(counters1, counters0, 'apiserver_request_total', (l) => (l.resource ? `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}${l.code === '200' || l.code === '201' ? '' : ` ${l.code}`}` : ''));
  requests.delete('');
  requests.set('POST pods', (requests.get('POST pods') ?? 0) - options.pods);
  const watchEvents = counterGrowth(counters1, counters0, 'apiserver_watch_events_total', (l) => `${l.group ?? ''}/${l.resource ?? l.kind ?? ''}`);
  await deletePods(cp, namespaces);
  const cpu = Object.fromEntries(Object.keys(cpu0).map((k) => [k, cpu1[k as keyof Phase['cpu']] - cpu0[k as keyof Phase['cpu']]])) as Record<keyof Phase['cpu'], number>;
  const phase: Phase = { round, registered, path, clientMs, failed, seconds, cpu, machineBusy: (machine1 - machine0) / seconds, load1: loadavg()[0] ?? Number.NaN, rssMiB, connections: connectionCount, syscalls, requests, watchEvents, serveLines, window: { startUs, endUs } };
  process.stdout.write(`  round ${round + 1} ${registered.padEnd(5)} ${path.padEnd(8)}: ${phaseLine(phase)}\n`);
  return phase;
}

// ---------------------------------------------------------------------------------------------
// Figures

const perCreateMs = (seconds: number): number => (seconds / options.pods) * 1000;
const fmtMs = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)} ms`);
const signedMs = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`);
const mib = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} MiB`);

function webhookCpu(phase: Phase): number {
  const server = serverOf(phase.registered);
  return server === undefined ? Number.NaN : perCreateMs(phase.cpu[server]);
}

function phaseLine(phase: Phase): string {
  const client = summarize(phase.clientMs);
  const failed = phase.failed.length === 0 ? '' : `, ${phase.failed.length} FAILED (first: ${phase.failed[0]})`;
  return (
    `p50 ${fmtMs(client.p50)}, p99 ${fmtMs(client.p99)}; CPU per create: webhook ${fmtMs(webhookCpu(phase))}, kube-apiserver ${fmtMs(perCreateMs(phase.cpu.apiserver))}, ` +
    `etcd ${fmtMs(perCreateMs(phase.cpu.etcd))}${phase.registered === 'serve' ? '' : `, serve in the background ${fmtMs(perCreateMs(phase.cpu.serve))}`}; ` +
    `${phase.connections === undefined ? '' : `${phase.connections} connections to the webhook; `}machine ${Math.round(phase.machineBusy * 100)} % of a CPU busy, load ${phase.load1.toFixed(1)}${failed}`
  );
}

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** "1.20 ms (rounds 1.10, 1.20, 3.40)": the median the verdict uses, then every round. */
function spread(values: readonly number[], format: (value: number) => string): string {
  return `${format(median(values))} (rounds ${values.map((v) => format(v).replace(/ .*/, '')).join(', ')})`;
}

interface Check {
  readonly measure: string;
  readonly measured: string;
  readonly target: string;
  readonly verdict: 'pass' | 'miss' | 'report';
}

function phasesOf(phases: readonly Phase[], registered: Registered, path: Path): Phase[] {
  return phases.filter((p) => p.registered === registered && p.path === path).sort((a, b) => a.round - b.round);
}

/** Per round, a figure of serve's phase and of the no-op's (and of none's, for "added"). */
function perRound(phases: readonly Phase[], path: Path, figure: (phase: Phase) => number): Record<Registered, number[]> {
  const of = (registered: Registered): number[] => phasesOf(phases, registered, path).map(figure);
  return { none: of('none'), noop: of('noop'), serve: of('serve'), 'noop-annotating': of('noop-annotating') };
}

function minus(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value - (b[i] ?? Number.NaN));
}

function latencyChecks(phases: readonly Phase[], path: Path): Check[] {
  const result: Check[] = [];
  for (const [name, q] of [['p50', 'p50'], ['p99', 'p99']] as const) {
    const values = perRound(phases, path, (p) => summarize(p.clientMs)[q]);
    const serveAdded = minus(values.serve, values.none);
    const noopAdded = minus(values.noop, values.none);
    const overNoop = median(minus(values.serve, values.noop));
    const bound = name === 'p50' ? targets.p50OverNoopMs : undefined;
    result.push({
      measure: `added ${name} per create (client; over no webhook)`,
      measured: `${spread(serveAdded, signedMs)}; serve - noop per round: median ${signedMs(overNoop)}`,
      target: bound === undefined ? `none set; noop added ${spread(noopAdded, signedMs)}` : `<= noop's + ${bound} ms; noop added ${spread(noopAdded, signedMs)}`,
      verdict: bound === undefined ? 'report' : overNoop <= bound ? 'pass' : 'miss',
    });
  }
  return result;
}

function cpuChecks(phases: readonly Phase[], path: Path): Check[] {
  const webhook = perRound(phases, path, webhookCpu);
  // Paired by round: on a shared machine the load drifts between rounds more than between two adjacent phases.
  const ratios = webhook.serve.map((value, i) => value / (webhook.noop[i] ?? Number.NaN));
  const apiserver = perRound(phases, path, (p) => perCreateMs(p.cpu.apiserver));
  const apiserverOver = median(minus(apiserver.serve, apiserver.noop));
  const apiserverTargeted = path === 'carried';
  return [
    {
      measure: 'webhook CPU per pod create',
      measured: `${spread(webhook.serve, fmtMs)} = ${spread(ratios, (r) => `${r.toFixed(2)} x`)} the noop's in its round`,
      target: `<= ${targets.cpuOfNoop} x; noop ${spread(webhook.noop, fmtMs)}`,
      verdict: median(ratios) <= targets.cpuOfNoop ? 'pass' : 'miss',
    },
    {
      measure: 'kube-apiserver CPU per pod create',
      measured: `${spread(apiserver.serve, fmtMs)}; serve - noop per round: median ${signedMs(apiserverOver)}`,
      target: `${apiserverTargeted ? `<= noop's + ${targets.apiserverCpuOverNoopMs} ms` : 'none set on this path'}; noop ${spread(apiserver.noop, fmtMs)}, none ${spread(apiserver.none, fmtMs)}`,
      verdict: !apiserverTargeted ? 'report' : apiserverOver <= targets.apiserverCpuOverNoopMs ? 'pass' : 'miss',
    },
  ];
}

/**
 * What the tier-source annotation patch alone costs a pod create: the no-op answering with it
 * against the no-op answering without it, paired by round (the only difference is the patch).
 */
function patchCost(phases: readonly Phase[], path: Path): string {
  const apiserver = perRound(phases, path, (p) => perCreateMs(p.cpu.apiserver));
  const etcd = perRound(phases, path, (p) => perCreateMs(p.cpu.etcd));
  const p50 = perRound(phases, path, (p) => summarize(p.clientMs).p50);
  const p99 = perRound(phases, path, (p) => summarize(p.clientMs).p99);
  const row = (name: string, values: Record<Registered, number[]>): string[] => [name, spread(values['noop-annotating'], fmtMs), spread(values.noop, fmtMs), spread(minus(values['noop-annotating'], values.noop), signedMs)];
  return table(['per pod create', 'noop answering with the annotation patch', 'noop', 'difference per round'], [
    row('kube-apiserver CPU', apiserver),
    row('etcd CPU', etcd),
    row('client p50', p50),
    row('client p99', p99),
  ]);
}

function rssCheck(phases: readonly Phase[], path: Path): Check {
  const max = (registered: 'serve' | 'noop'): number => Math.max(...phasesOf(phases, registered, path).map((p) => p.rssMiB[registered]));
  const bound = max('noop') + targets.rssOverNoopMiB;
  return { measure: 'RSS under this load (largest sample in its phases)', measured: `serve ${mib(max('serve'))}`, target: `<= noop's ${mib(max('noop'))} + ${targets.rssOverNoopMiB} MiB: ${mib(bound)}`, verdict: max('serve') <= bound ? 'pass' : 'miss' };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** What happened per create besides the create itself: API requests and watch events kube-apiserver counted, serve's log lines. */
function perCreateCounts(phases: readonly Phase[], path: Path): string {
  const rows: string[][] = [];
  for (const registered of registrations) {
    const mine = phasesOf(phases, registered, path);
    const keys = new Set(mine.flatMap((p) => [...p.requests.keys()].map((k) => `request ${k}`).concat([...p.watchEvents.keys()].map((k) => `watch event ${k}`))));
    const figure = (key: string, phase: Phase): number => (key.startsWith('request ') ? (phase.requests.get(key.slice(8)) ?? 0) : (phase.watchEvents.get(key.slice(12)) ?? 0));
    for (const key of [...keys].sort()) {
      const values = mine.map((p) => figure(key, p) / options.pods);
      if (values.every((v) => Math.abs(v) < 0.005)) continue;
      rows.push([registered, key, values.map((v) => v.toFixed(2)).join(', ')]);
    }
    if (serverOf(registered) !== undefined) rows.push([registered, 'connections to the webhook (TLS handshakes)', mine.map((p) => ((p.connections ?? Number.NaN) / options.pods).toFixed(3)).join(', ')]);
    const traced = mine.filter((p) => p.syscalls !== undefined);
    const names = [...new Set(traced.flatMap((p) => [...(p.syscalls ?? new Map()).entries()].filter(([, n]) => n / options.pods >= 0.05).map(([name]) => name)))].sort();
    for (const name of names) rows.push([registered, `system call ${name}`, traced.map((p) => ((p.syscalls?.get(name) ?? 0) / options.pods).toFixed(2)).join(', ')]);
    if (registered === 'serve') rows.push(['serve', 'stdout lines (audit records, other)', mine.map((p) => `${(p.serveLines.audit / options.pods).toFixed(2)} + ${(p.serveLines.other / options.pods).toFixed(2)}`).join(', ')]);
  }
  return table(['registered', 'per pod create', 'per round'], rows);
}

// ---------------------------------------------------------------------------------------------

async function burst(cp: ControlPlane): Promise<string> {
  const names = Array.from({ length: options.burst }, (_, i) => `burst-${i}`);
  const started = performance.now();
  await createNamespaces(cp, names);
  const created = performance.now();
  const wanted = new Set(names);
  await waitFor('burst baselines', 600_000, [], async () => (await namespacesWithBaseline(cp, wanted)) === names.length);
  const done = performance.now();
  return `${options.burst} namespaces created at once (serve registered): all created in ${((created - started) / 1000).toFixed(2)} s; every one had its ${baselinePolicies} policies ${((done - started) / 1000).toFixed(2)} s after the first create (${((done - created) / 1000).toFixed(2)} s after the last); load ${loadavg()[0]?.toFixed(1)}`;
}

/** Each webhook's profile cut by its own phases: the no-op's shows what any webhook spends on the same calls. */
function printProfile(profileDir: string, phases: readonly Phase[]): void {
  for (const server of ['serve', 'noop'] as const) {
    const dir = join(profileDir, server);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      const profile = readProfile(join(dir, file));
      process.stdout.write(`\nCPU profile of ${server}: ${join(dir, file)}\n`);
      for (const phase of phases.filter((p) => serverOf(p.registered) === server)) {
        process.stdout.write(`\n--- ${server}, round ${phase.round + 1}, ${phase.registered} ${phase.path} ---\n${formatProfile(summarizeProfile(profile, phase.window), 25)}\n`);
      }
    }
  }
}

function report(phases: readonly Phase[], burstLine: string | undefined, serve: ServeWebhook): void {
  const targeted = (['none', 'noop', 'serve'] as const).every((r) => registrations.includes(r));
  if (targeted) process.stdout.write(`\nTargets (issue 22; medians over ${options.rounds} rounds, each round's figure in brackets; every target against the no-op of the same run)\n`);
  const missed: string[] = [];
  for (const path of targeted ? paths : []) {
    const checks = [...latencyChecks(phases, path), ...cpuChecks(phases, path), rssCheck(phases, path)];
    const title = path === 'carried' ? 'pods that carry their tier label' : `pods whose tier is injected (namespace ${defaultTierLabel}=ui)`;
    process.stdout.write(`\n${path}: ${title}\n${table(['measure', 'measured', 'target', 'result'], checks.map((c) => [c.measure, c.measured, c.target, c.verdict]))}\n`);
    for (const check of checks.filter((c) => c.verdict === 'miss')) missed.push(`${path}: ${check.measure}: ${check.measured}; target ${check.target}`);
  }
  if (registrations.includes('noop-annotating') && registrations.includes('noop')) {
    for (const path of paths) process.stdout.write(`\nWhat the tier-source annotation patch costs (${path}; medians over ${options.rounds} rounds, each round in brackets):\n${patchCost(phases, path)}\n`);
  }
  const busy = phases.map((p) => p.machineBusy);
  const loads = phases.map((p) => p.load1);
  process.stdout.write(
    `\nHow busy the machine was: ${cpus().length} CPUs; during the phases the whole machine was ${Math.round(Math.min(...busy) * 100)}-${Math.round(Math.max(...busy) * 100)} % of a CPU busy ` +
      `(median ${Math.round(median(busy) * 100)} %, control plane and webhooks included), load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}\n`,
  );
  for (const path of paths) process.stdout.write(`\nPer pod create besides the create (kube-apiserver's counters; ${path}):\n${perCreateCounts(phases, path)}\n`);
  const peak = peakRssKiB(serve.pid);
  process.stdout.write(`\nserve peak RSS since start (VmHWM): ${peak === undefined ? 'n/a' : mib(peak / 1024)}\n`);
  if (burstLine !== undefined) process.stdout.write(`${burstLine}\n`);
  for (const line of missed) process.stdout.write(`TARGET MISSED: ${line}\n`);
  if (targeted && missed.length === 0) process.stdout.write('all targets met\n');
}

async function setUp(cp: ControlPlane, work: string, servers: { serve: ServeWebhook; noop: BenchWebhook }, caPem: string): Promise<Bench> {
  const { serve, noop } = servers;
  await register(cp, 'serve', servers, caPem, 'default');
  const namespaces = { carried: Array.from({ length: options.namespaces }, (_, i) => `carried-${i}`), injected: Array.from({ length: options.namespaces }, (_, i) => `injected-${i}`) };
  await createNamespaces(cp, namespaces.carried);
  await createNamespaces(cp, namespaces.injected, { [defaultTierLabel]: 'ui' });
  const all = new Set([...namespaces.carried, ...namespaces.injected]);
  await waitFor('baselines', 120_000, [], async () => (await namespacesWithBaseline(cp, all)) === all.size);
  const bench: Bench = { cp, work, post: keepAliveClient(cp), serve, noop, namespaces };
  for (const server of ['serve', 'noop'] as const) {
    await register(cp, server, servers, caPem, 'default');
    for (const path of paths) {
      const warm = await createPods(bench.post, namespaces[path], path, options.firstWarmup, `${server}-first-warm`);
      if (warm.failed.length > 0) throw new Error(`${server} ${path} first warm-up: ${warm.failed.length} creates failed (first: ${warm.failed[0]})`);
      await deletePods(cp, namespaces[path]);
    }
  }
  return bench;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'netpol-hygiene-apiserver-bench-'));
  const profileDir = options.cpuProf ? join(work, 'profiles') : undefined;
  const cp = await startControlPlane();
  try {
    const scripts = buildScripts();
    const tls = await writeServingTls(work);
    const ensured = await cp.kubectl(['create', 'namespace', 'netpol-hygiene']);
    if (ensured.code !== 0) throw new Error(`creating the webhook's namespace: ${ensured.stderr}`);
    const serve = await startServe(cp, tls, options.serveScript ?? scripts.serve, work, profileDir === undefined ? undefined : join(profileDir, 'serve'));
    const noop = await startNoop(tls, scripts.noop, profileDir === undefined ? undefined : join(profileDir, 'noop'));
    const env = Object.entries(imageEnvironment).map(([k, v]) => `${k}=${v}`).join(' ');
    process.stdout.write(
      `netpol-hygiene through kube-apiserver, ${new Date().toISOString()}: control plane up in ${(cp.timings.totalMs / 1000).toFixed(1)} s; ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n` +
        `serve (pid ${serve.pid}): ${options.serveScript ?? 'dist/cli/main.js'}; noop (pid ${noop.pid}): bench/noop-webhook.ts compiled; both node ${process.version} --max-heap-size=${podHeapMiB} ${imageNodeFlags.join(' ')}, NODE_ENV=production ${env}${options.cpuProf ? '; both under --cpu-prof' : ''}\n` +
        `${options.rounds} rounds of ${registrations.join(' / ')} (order rotated), each on ${paths.join(' and ')}: ${options.warmup} warm-up creates, then ${options.pods} pod creates over ${options.namespaces} namespaces, ${options.concurrency} at a time\n`,
    );
    const bench = await setUp(cp, work, { serve, noop }, tls.caPem);
    const phases: Phase[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = registrations.map((_, i) => registrations[(i + round) % registrations.length] as Registered);
      for (const registered of order) {
        await register(cp, registered, { serve, noop }, tls.caPem, 'default');
        for (const path of round % 2 === 0 ? paths : [...paths].reverse()) phases.push(await runPhase(bench, round, registered, path));
      }
    }
    let burstLine: string | undefined;
    if (options.burst > 0) {
      await register(cp, 'serve', { serve, noop }, tls.caPem, 'default');
      burstLine = await burst(cp);
    }
    report(phases, burstLine, serve);
    await noop.stop();
    await serve.stop();
    if (profileDir !== undefined) printProfile(profileDir, phases);
    for (const line of serve.output.recent.filter((l) => /"level":(40|50|60)/.test(l))) process.stdout.write(`serve said: ${line}\n`);
  } finally {
    await stopAll();
    await cp.stop();
    if (options.keep) process.stdout.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
