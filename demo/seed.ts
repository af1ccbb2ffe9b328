/**
 * npm run demo [-- --keep] [-- --node]: a real control plane and the webhook, replaying the seed
 * scenario (../shared/seed/network-policy-tutorial.txt): namespaces products-prod and
 * products-stage, ui / business / db workloads on 8080 / 8081 / 8082. Prints what happened in
 * reading order and exits non-zero when anything did not behave as designed. With --node the
 * pods run on a real node (harness/node, root only) and the matrix is also tried with real
 * packets, enforced by kube-router.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCluster } from '../src/cli/cluster-inventory.ts';
import { worldOf } from '../src/cli/reachability-input.ts';
import { checkSeedIntent } from './seed-intent.ts';
import { type ControlPlane, repoRoot, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { type Node, nodeControlPlaneOptions, startNode } from '../harness/node/node.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../harness/webhook.ts';
import { compareSeedMatrix, seedProbes } from './seed-packets.ts';
import { differingCells, observeProbes } from './seed-packets-live.ts';
import { businessAccount, dnsPod, type ProbeImage, seedDeployment, seedTiers as tiers, seedWebhookConfig } from './seed-workloads.ts';

const { values: flags } = parseArgs({ options: { keep: { type: 'boolean', default: false }, node: { type: 'boolean', default: false } } });

const namespaces = ['products-prod', 'products-stage'] as const;
const failures: string[] = [];

let cp: ControlPlane | undefined;
let node: Node | undefined;
let webhook: Webhook | undefined;

function heading(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

function line(text: string): void {
  process.stdout.write(`   ${text}\n`);
}

function expect(ok: boolean, what: string): void {
  if (!ok) failures.push(what);
  line(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

async function kubectl(args: string[], options: Parameters<ControlPlane['kubectl']>[1] = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return (cp as ControlPlane).kubectl(args, options);
}

async function json<T>(args: string[]): Promise<T> {
  const result = await kubectl([...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** In the control plane's directory, which stop() removes with everything else. */
function demoConfig(dir: string): string {
  const path = join(dir, 'netpol-hygiene-demo-config.yaml');
  // The built-in profiles (seed, seed-prod) and seed-workloads.ts's tier rules and entitlement.
  writeFileSync(path, seedWebhookConfig());
  return path;
}

/** scripts/build-node.sh, as predemo builds the control plane: at once when cached, tens of minutes cold (its progress on stderr). */
function buildNodeParts(): void {
  const built = spawnSync(join(repoRoot, 'scripts/build-node.sh'), [], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error(`scripts/build-node.sh failed (exit ${built.status})`);
}

/** The image every container runs on a node; without a node the pods are only stored, never run. */
function probeImage(): ProbeImage | undefined {
  return node === undefined ? undefined : { image: node.probeImage };
}

async function main(): Promise<void> {
  heading(`Starting etcd, kube-apiserver, kube-controller-manager${flags.node ? ', a node (containerd, kubelet, kube-scheduler, kube-router\'s firewall)' : ''} and netpol-hygiene`);
  if (flags.node) buildNodeParts();
  cp = await startControlPlane(flags.node ? nodeControlPlaneOptions() : {});
  line(`control plane ready in ${Math.round(cp.timings.totalMs)} ms (${cp.serverUrl})`);
  if (flags.node) {
    // The node's own lines (bring-up, and on stop what it removed from the host) in the demo's output.
    node = await startNode(cp, { log: line });
    line(`node ${node.name} Ready, kube-router enforcing, in ${Math.round(node.timings.totalMs)} ms (pod CIDR ${node.podCidr})`);
  }
  webhook = await startWebhook(cp, { configPath: demoConfig(cp.dir) });
  const registration = await registerWebhooks(cp, webhook);
  line(`webhook on https://127.0.0.1:${webhook.port}, registered and answering after ${Math.round(registration.liveAfterMs)} ms`);
  const { etcd, apiserver, controllerManager } = cp.pids;
  line(`files in ${cp.dir}; pids: etcd ${etcd}, kube-apiserver ${apiserver}, kube-controller-manager ${controllerManager}, netpol-hygiene ${webhook.pid}`);

  heading('Namespaces: products-prod chooses the seed-prod profile, products-stage gets the default');
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'products-prod', labels: { 'netpol-hygiene.io/profile': 'seed-prod' } } }),
  });
  await kubectl(['create', 'namespace', 'products-stage']);
  for (const ns of namespaces) {
    const labels = (await json<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', ns])).metadata.labels;
    line(`${ns}: netpol-hygiene.io/profile=${labels['netpol-hygiene.io/profile']}`);
  }

  heading(`Workloads: Deployments ui, business (as service account ${businessAccount}), db in both namespaces (no tier labels in the manifests)`);
  for (const ns of namespaces) {
    await kubectl(['create', 'serviceaccount', businessAccount, '-n', ns]);
    for (const t of tiers) {
      const applied = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(seedDeployment(ns, t, probeImage())) });
      if (applied.code !== 0) throw new Error(`kubectl apply (deployment ${ns}/${t.tier}): ${applied.stderr}`);
    }
  }
  type Pod = { metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> } };
  for (const ns of namespaces) {
    let pods: Pod[] = [];
    await waitFor(`three pods in ${ns}`, 60_000, [], async () => {
      pods = (await json<{ items: Pod[] }>(['get', 'pods', '-n', ns])).items;
      return pods.length >= 3;
    });
    for (const pod of pods.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      const source = pod.metadata.annotations?.['netpol-hygiene.io/tier-source'];
      line(`${ns}/${pod.metadata.name}: tier=${pod.metadata.labels.tier} (injected; source ${source})`);
      const app = pod.metadata.labels.app;
      const expected = tiers.find((t) => t.tier === app);
      expect(pod.metadata.labels.tier === expected?.tier && source === `rule:port-${expected?.port}`, `${ns}/${app} pod labelled tier=${app} by rule port-${expected?.port}`);
    }
  }

  heading('NetworkPolicies that now exist (the seed\'s seven, with both default denies in one policy)');
  type Policy = { metadata: { name: string }; spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: { from?: unknown[]; ports?: { port: number }[] }[] } };
  for (const ns of namespaces) {
    const policies = (await json<{ items: Policy[] }>(['get', 'networkpolicies', '-n', ns])).items;
    line(`${ns}:`);
    for (const p of policies) {
      const selector = Object.entries(p.spec.podSelector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || 'all pods';
      const ports = p.spec.ingress?.flatMap((r) => r.ports ?? []).map((port) => port.port).join(',');
      line(`  ${p.metadata.name.padEnd(22)} ${p.spec.policyTypes.join('+').padEnd(15)} selects ${selector}${ports ? `, port ${ports}` : ''}`);
    }
    expect(policies.length === 6, `${ns} has default-deny, allow-dns, allow-cluster-egress and the three tier policies`);
  }
  const prodDb = await json<Policy>(['get', 'networkpolicy', 'allow-business-to-db', '-n', 'products-prod']);
  expect(JSON.stringify(prodDb.spec.ingress?.[0]?.from).includes('products-stage'), 'products-prod DB also admits the business tier of products-stage (seed-prod)');

  await showMatrix();

  heading('Requests refused, exactly as kubectl shows them');
  const refusals: { what: string; args: string[]; input?: string; as?: string; asGroups?: string[]; rule: string }[] = [
    {
      what: 'a pod with no tier label and nothing to infer one from',
      args: ['run', 'debug', '--image=busybox:1.36', '-n', 'products-prod', '--restart=Never', '--', 'sleep', '3600'],
      rule: 'POD-TIER',
    },
    {
      what: 'a pod with a tier the config does not know',
      args: ['run', 'cache', '--image=redis:7', '-n', 'products-stage', '--labels=tier=cache', '--restart=Never'],
      rule: 'POD-TIER',
    },
    {
      what: 'a pod in products-stage claiming tier=business, which reaches prod\'s DB, without running as the entitled service account',
      args: ['run', 'rogue', '--image=busybox:1.36', '-n', 'products-stage', '--labels=tier=business', '--restart=Never', '--', 'sleep', '3600'],
      as: 'jane',
      asGroups: ['developers'],
      rule: 'POD-TIER',
    },
    {
      what: 'a namespace that opts out of the baseline',
      args: ['apply', '-f', '-'],
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'products-sandbox', labels: { 'netpol-hygiene.io/profile': 'none' } } }),
      rule: 'NS-DEFAULT-DENY',
    },
    {
      what: 'a developer deleting the default deny',
      args: ['delete', 'networkpolicy', 'default-deny', '-n', 'products-prod'],
      as: 'jane',
      asGroups: ['developers'],
      rule: 'NP-GUARD',
    },
  ];
  await kubectl(['create', 'clusterrolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane']);
  for (const refusal of refusals) {
    const result = await kubectl(refusal.args, { input: refusal.input, as: refusal.as, asGroups: refusal.asGroups });
    line(`$ kubectl ${refusal.args.join(' ')}${refusal.as ? ` --as ${refusal.as}` : ''}   # ${refusal.what}`);
    for (const text of result.stderr.trim().split('\n')) line(`  ${text}`);
    expect(result.code !== 0 && result.stderr.includes(`${refusal.rule}: `), `${refusal.what}: refused by ${refusal.rule}`);
  }

  heading('Repairs: an admin deletes allow-dns in products-stage; the reconciler puts it back');
  await kubectl(['delete', 'networkpolicy', 'allow-dns', '-n', 'products-stage']);
  const started = performance.now();
  await waitFor('allow-dns to be re-created', 15_000, [], async () => (await kubectl(['get', 'networkpolicy', 'allow-dns', '-n', 'products-stage'])).code === 0);
  line(`re-created after ${Math.round(performance.now() - started)} ms`);
  const events = await kubectl(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.kind=Namespace,reason=BaselineApplied', '-o', 'custom-columns=NAMESPACE:.involvedObject.name,MESSAGE:.message']);
  for (const text of events.stdout.trim().split('\n')) line(text);
  expect(events.stdout.includes('managed policy "allow-dns" was deleted'), 'the repair is recorded as a Kubernetes Event');

  heading('Audit records (one JSON line per decision and repair; here the ones above, abridged)');
  const records = (webhook as Webhook).auditRecords();
  // The harness's dry-run probe namespaces only proved the webhook was live.
  const interesting = records.filter((r) => (r.decision === 'denied' || r.decision === 'patched' || r.event === 'repair') && !String(r.name).startsWith('probe-'));
  for (const r of interesting) {
    const object = r.kind === 'Namespace' ? r.name : `${r.namespace}/${r.name}`;
    const subject = r.event === 'repair' ? `repair ${r.namespace}` : `${r.webhook} ${r.operation} ${r.kind} ${object}`;
    const detail = r.event === 'repair' ? r.message : r.decision === 'denied' ? r.message : (r.reasons as string[] | undefined)?.join('; ');
    line(`${String(r.decision ?? r.action).padEnd(14)} ${subject} by ${r.user ?? 'netpol-hygiene'}${detail ? ` — ${String(detail).slice(0, 160)}` : ''}`);
  }
  expect(records.filter((r) => r.decision === 'denied').length === refusals.length, `${refusals.length} denials recorded`);
  expect(records.every((r) => typeof r.uid === 'string' || r.event === 'repair'), 'every admission record carries the request uid');

  heading(failures.length === 0 ? 'Everything behaved as designed' : `${failures.length} thing(s) did not behave as designed`);
  for (const failure of failures) line(`FAIL ${failure}`);
}

/**
 * Who can reach whom under the policies that now exist, from the reachability engine over the
 * live cluster (read with GET, as `netpol-hygiene reachability --kubeconfig` reads it), checked
 * against the seed's intent. This control plane runs no kubelet or DNS, so a stand-in pod
 * labelled as CoreDNS pods are (k8s-app=kube-dns in kube-system) is what allow-dns must reach.
 */
async function showMatrix(): Promise<void> {
  heading('Who can reach whom on 8080 / 8081 / 8082 (reachability engine, live cluster read-only), against the seed\'s intent');
  const created = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(dnsPod(probeImage())) });
  if (created.code !== 0) throw new Error(`kubectl apply (coredns stand-in): ${created.stderr}`);
  const world = worldOf(await readCluster((cp as ControlPlane).kubeconfigPath));
  const dns = world.podsByKey.get('kube-system/coredns');
  if (dns === undefined) throw new Error('the coredns stand-in is not in the cluster');
  const report = checkSeedIntent(world, dns);
  for (const text of report.lines) line(text);
  failures.push(...report.failures);
  for (const failure of report.failures) line(`FAIL ${failure}`);
  if (node !== undefined) await showPackets();
}

/**
 * The same matrix tried with real connections between the pods on the node, enforced by
 * kube-router, beside the seed's intent and the engine. kube-router applies a policy a moment
 * after it exists: tried again until packets and engine agree, for up to two minutes.
 */
async function showPackets(): Promise<void> {
  heading('The same with real packets: one connection per pair and port, enforced by kube-router on the node');
  const c = cp as ControlPlane;
  await waitFor('the seed\'s pods and the DNS pod Running and Ready', 300_000, [], async () => {
    const out = await kubectl(['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
    const statuses = out.stdout.split('\n').filter(Boolean);
    return statuses.length === 7 && statuses.every((s) => s === 'True');
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const world = worldOf(await readCluster(c.kubeconfigPath));
    const dns = world.podsByKey.get('kube-system/coredns');
    if (dns === undefined) throw new Error('the DNS pod is not in the cluster');
    const comparison = compareSeedMatrix(world, dns, await observeProbes(c, seedProbes(world, dns)));
    if (differingCells(comparison.failures) === 0 || Date.now() > deadline) {
      for (const text of comparison.lines) line(text);
      failures.push(...comparison.failures);
      for (const failure of comparison.failures) line(`FAIL ${failure}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function stop(): Promise<void> {
  try {
    await webhook?.stop();
    await node?.stop();
  } finally {
    await cp?.stop();
  }
}

try {
  await main();
} catch (error) {
  failures.push((error as Error).message);
  process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
}

if (flags.keep && cp !== undefined && failures.length === 0) {
  heading('Left running (Ctrl-C to stop)');
  process.stdout.write(`KUBECONFIG=${cp.kubeconfigPath}\n`);
  line(`export KUBECONFIG=${cp.kubeconfigPath}`);
  line(`alias kubectl=${join(cp.binDir, 'kubectl')}`);
  line('kubectl get networkpolicies -A -l app.kubernetes.io/managed-by=netpol-hygiene');
  line('kubectl get pods -n products-prod -L tier');
  if (node !== undefined) {
    line('kubectl get pods -A -o wide   # running on the node');
    line(`kubectl exec -n products-stage deploy/ui -- /probe probe -timeout=2s $(kubectl get pod -n products-prod -l app=db -o jsonpath='{.items[0].status.podIP}'):8082/tcp   # denied by the policies`);
  }
  line('kubectl run try --image=busybox -n products-stage --restart=Never   # POD-TIER');
  line('kubectl label namespace products-stage netpol-hygiene.io/mode=warn && kubectl run try --image=busybox -n products-stage --restart=Never');
  line(`tail -f ${(webhook as Webhook).logPath}   # audit records`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
await stop();
process.exit(failures.length === 0 ? 0 : 1);
