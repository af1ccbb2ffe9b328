/**
 * `node bench/apiserver.ts`: what the webhooks cost a pod create through a real kube-apiserver
 * (issue 12, part 3). One control plane (etcd, kube-apiserver, kube-controller-manager from
 * `npm run cluster:build`) and `serve` from source, in one run:
 *
 * 1. without the webhooks registered: bare pods, `--pods` of them over `--namespaces`
 *    namespaces, `--concurrency` creates at a time, then a Deployment per namespace;
 * 2. the same with the webhook configurations of manifests/base registered, in fresh
 *    namespaces that have their baseline;
 * 3. `--burst` namespaces created at once, and the time until every one has its baseline.
 *
 * Latency is seen twice: by this client (keep-alive connections, as a controller's client
 * keeps them) and by kube-apiserver's own histograms (apiserver_request_duration_seconds for
 * POST pods, apiserver_admission_webhook_admission_duration_seconds per webhook), read from
 * /metrics before and after each phase. A measurement that asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { type ControlPlane, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { stopAll } from '../harness/processes.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../harness/webhook.ts';
import { type Histograms, histogramQuantile, parseHistograms, subtract } from './prometheus.ts';
import { cpuSeconds, machineBusySeconds, peakRssKiB } from './proc.ts';
import { summarize } from './load.ts';

const { values: args } = parseArgs({
  options: {
    pods: { type: 'string', default: '500' },
    namespaces: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    replicas: { type: 'string', default: '20' },
    burst: { type: 'string', default: '200' },
  },
});
const options = {
  pods: Number(args.pods),
  namespaces: Number(args.namespaces),
  concurrency: Number(args.concurrency),
  replicas: Number(args.replicas),
  burst: Number(args.burst),
};
const managedBy = 'app.kubernetes.io/managed-by=netpol-hygiene';
const baselinePolicies = 6;

interface PhaseResult {
  readonly name: string;
  readonly clientMs: readonly number[];
  readonly failed: readonly string[];
  /** Deployment create to every replica's pod existing, ms. */
  readonly deploymentsMs: number;
  readonly metrics: Histograms;
  readonly webhookCpuSeconds?: number;
  readonly otherCpu?: number;
  readonly seconds: number;
}

function podObject(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'ui' } },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
  };
}

function deploymentObject(name: string, replicas: number): Record<string, unknown> {
  const labels = { app: name, tier: 'ui' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels }, spec: (podObject(name).spec as object) } },
  };
}

async function createOk(cp: ControlPlane, path: string, body: Record<string, unknown>): Promise<void> {
  const response = await cp.api('POST', path, body);
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.body.slice(0, 300)}`);
}

/** `count` bare pods over the namespaces, `concurrency` creates in flight: each one's latency as this client saw it. */
/** POSTs over keep-alive connections with the admin client certificate of the control plane's kubeconfig. */
function keepAliveClient(cp: ControlPlane): (path: string, body: unknown) => Promise<{ status: number; body: string }> {
  const config = parseYaml(readFileSync(cp.kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] };
  const user = config.users[0]?.user ?? {};
  const decode = (key: string): string => Buffer.from(user[key] ?? '', 'base64').toString();
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, ca: cp.caPem, cert: decode('client-certificate-data'), key: decode('client-key-data') });
  return (path, body) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(new URL(path, cp.serverUrl), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
}

async function createPods(cp: ControlPlane, namespaces: readonly string[], count: number, prefix = 'bare'): Promise<{ clientMs: number[]; failed: string[] }> {
  const post = keepAliveClient(cp);
  const clientMs: number[] = [];
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const namespace = namespaces[i % namespaces.length] as string;
      const started = performance.now();
      const response = await post(`/api/v1/namespaces/${namespace}/pods`, podObject(`${prefix}-${i}`));
      clientMs.push(performance.now() - started);
      if (response.status !== 201) failed.push(`${response.status} ${response.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { clientMs, failed };
}

/** One Deployment per namespace; resolves when every replica's pod exists (the ReplicaSet controller made them). */
async function deployAndWait(cp: ControlPlane, namespaces: readonly string[]): Promise<number> {
  const started = performance.now();
  await Promise.all(namespaces.map((ns) => createOk(cp, `/apis/apps/v1/namespaces/${ns}/deployments`, deploymentObject('web', options.replicas))));
  await waitFor('Deployment pods', 300_000, [], async () => {
    const counts = await Promise.all(namespaces.map(async (ns) => ((await cp.api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`)).json as { items: unknown[] }).items.length));
    return counts.every((n) => n >= options.replicas);
  });
  return performance.now() - started;
}

async function scrape(cp: ControlPlane): Promise<Histograms> {
  const response = await cp.api('GET', '/metrics');
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  return parseHistograms(response.body, ['apiserver_request_duration_seconds', 'apiserver_admission_webhook_admission_duration_seconds']);
}

async function createNamespaces(cp: ControlPlane, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => createOk(cp, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
}

/** Namespaces (of `names`) holding the whole baseline. */
async function namespacesWithBaseline(cp: ControlPlane, names: ReadonlySet<string>): Promise<number> {
  const list = (await cp.api('GET', `/apis/networking.k8s.io/v1/networkpolicies?labelSelector=${encodeURIComponent(managedBy)}`)).json as { items: { metadata: { namespace: string } }[] };
  const perNamespace = new Map<string, number>();
  for (const item of list.items) if (names.has(item.metadata.namespace)) perNamespace.set(item.metadata.namespace, (perNamespace.get(item.metadata.namespace) ?? 0) + 1);
  return [...perNamespace.values()].filter((n) => n >= baselinePolicies).length;
}

async function runPhase(cp: ControlPlane, name: string, namespaces: readonly string[], webhook: Webhook): Promise<PhaseResult> {
  const before = await scrape(cp);
  const cpu0 = cpuSeconds(webhook.pid);
  const machine0 = machineBusySeconds();
  const started = performance.now();
  const { clientMs, failed } = await createPods(cp, namespaces, options.pods);
  const deploymentsMs = await deployAndWait(cp, namespaces);
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = cpuSeconds(webhook.pid);
  const machine1 = machineBusySeconds();
  const metrics = subtract(await scrape(cp), before);
  const webhookCpuSeconds = cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0;
  const otherCpu = machine0 === undefined || machine1 === undefined ? undefined : (machine1 - machine0) / seconds;
  return { name, clientMs, failed, deploymentsMs, metrics, webhookCpuSeconds, otherCpu, seconds };
}

function quantiles(h: Histograms, metric: string, match: Record<string, string>): string {
  const q = (p: number): string => {
    const value = histogramQuantile(h, metric, match, p);
    return value === undefined ? 'n/a' : `${(value * 1000).toFixed(1)} ms`;
  };
  return `p50 ${q(0.5)}, p99 ${q(0.99)}`;
}

function report(phase: PhaseResult): void {
  const client = summarize(phase.clientMs);
  const out = (line: string): boolean => process.stdout.write(`  ${line}\n`);
  process.stdout.write(`\n${phase.name} (${phase.seconds.toFixed(1)} s; the whole machine was ${phase.otherCpu === undefined ? 'n/a' : `${Math.round(phase.otherCpu * 100)} %`} of a CPU busy)\n`);
  out(`${options.pods} bare pod creates, ${options.concurrency} at a time: client p50 ${client.p50.toFixed(1)} ms, p99 ${client.p99.toFixed(1)} ms, max ${client.max.toFixed(1)} ms; ${phase.failed.length} failed${phase.failed[0] === undefined ? '' : ` (first: ${phase.failed[0]})`}`);
  out(`kube-apiserver POST pods: ${quantiles(phase.metrics, 'apiserver_request_duration_seconds', { verb: 'POST', resource: 'pods', subresource: '' })}`);
  for (const name of ['mutate-pods.netpol-hygiene.io', 'validate-pods.netpol-hygiene.io']) {
    out(`kube-apiserver calling ${name}: ${quantiles(phase.metrics, 'apiserver_admission_webhook_admission_duration_seconds', { name, operation: 'CREATE' })}`);
  }
  out(`${options.namespaces} Deployments x ${options.replicas} replicas: all pods created ${(phase.deploymentsMs / 1000).toFixed(2)} s after the creates`);
  const admissions = options.pods + options.namespaces * options.replicas;
  if (phase.webhookCpuSeconds !== undefined) out(`webhook CPU: ${phase.webhookCpuSeconds.toFixed(2)} s (${Math.round((phase.webhookCpuSeconds / admissions) * 1e6)} µs per pod create, both webhooks and the reconciler included)`);
}

async function burst(cp: ControlPlane): Promise<void> {
  const names = Array.from({ length: options.burst }, (_, i) => `burst-${i}`);
  const started = performance.now();
  await createNamespaces(cp, names);
  const created = performance.now();
  const wanted = new Set(names);
  await waitFor('burst baselines', 300_000, [], async () => (await namespacesWithBaseline(cp, wanted)) === names.length);
  const done = performance.now();
  process.stdout.write(
    `\n${options.burst} namespaces created at once: all created in ${((created - started) / 1000).toFixed(2)} s; every one had its ${baselinePolicies} policies ${((done - started) / 1000).toFixed(2)} s after the first create (${((done - created) / 1000).toFixed(2)} s after the last)\n`,
  );
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  try {
    const webhook = await startWebhook(cp);
    process.stdout.write(`control plane up in ${(cp.timings.totalMs / 1000).toFixed(1)} s; webhook pid ${webhook.pid} (serve from source, type stripping)\n`);
    const off = Array.from({ length: options.namespaces }, (_, i) => `without-${i}`);
    await createNamespaces(cp, off);
    const without = await runPhase(cp, 'without the webhooks', off, webhook);
    await registerWebhooks(cp, webhook);
    const on = Array.from({ length: options.namespaces }, (_, i) => `with-${i}`);
    await createNamespaces(cp, [...on, 'warm-up']);
    await waitFor('baselines', 60_000, [], async () => (await namespacesWithBaseline(cp, new Set([...on, 'warm-up']))) === on.length + 1);
    // A fresh process answers its first hundreds of calls from unoptimised code: not what a pod create costs once it runs.
    await createPods(cp, ['warm-up'], options.pods, 'warm-up');
    const withWebhooks = await runPhase(cp, 'with the webhooks', on, webhook);
    for (const phase of [without, withWebhooks]) report(phase);
    const added = (q: number): string => {
      const client = (phase: PhaseResult): number => (q === 0.5 ? summarize(phase.clientMs).p50 : summarize(phase.clientMs).p99);
      const server = (phase: PhaseResult): number => (histogramQuantile(phase.metrics, 'apiserver_request_duration_seconds', { verb: 'POST', resource: 'pods', subresource: '' }, q) ?? Number.NaN) * 1000;
      return `client ${(client(withWebhooks) - client(without)).toFixed(1)} ms, kube-apiserver ${(server(withWebhooks) - server(without)).toFixed(1)} ms`;
    };
    process.stdout.write(`\nadded per pod create: p50 ${added(0.5)}; p99 ${added(0.99)}\n`);
    await burst(cp);
    const peak = peakRssKiB(webhook.pid);
    process.stdout.write(`webhook peak RSS (VmHWM): ${peak === undefined ? 'n/a' : `${(peak / 1024).toFixed(1)} MiB`}\n`);
  } finally {
    await stopAll();
    await cp.stop();
  }
}

await main();
