/**
 * The seed on a real node, with real packets: the seed's Deployments (ui, business, db in
 * products-prod and products-stage) and a DNS pod in kube-system run the probe image, listening
 * on 8080 / 8081 / 8082, 53 (TCP and UDP) and 9153; the webhook creates the baselines; every
 * pair and port is tried with a real connection, enforced by kube-router's firewall, and
 * compared with the seed's intent and with the reachability engine's matrix read from the same
 * live cluster. Then an admin's policy above the ceiling changes real packets, and the same
 * policy from a developer is refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk, policyNames } from '../../harness/kubectl.ts';
import { type Node, nodeControlPlaneOptions, startNode } from '../../harness/node/node.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';
import { readCluster } from '../../src/cli/cluster-inventory.ts';
import { worldOf } from '../../src/cli/reachability-input.ts';
import type { World } from '../../src/reachability/world.ts';
import { type Comparison, compareSeedMatrix, probeKey, seedProbes, seedWorkloads, dnsWorkload } from '../../demo/seed-packets.ts';
import { differingCells, observeProbes } from '../../demo/seed-packets-live.ts';
import { businessAccount, dnsPod, seedDeployment, seedTiers, seedWebhookConfig } from '../../demo/seed-workloads.ts';
import { seedNamespaces } from '../../demo/seed-intent.ts';

const jane = { as: 'jane', asGroups: ['developers'] };
let cp: ControlPlane;
let node: Node | undefined;
let webhook: Webhook | undefined;

const openDb = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'open-db', namespace: 'products-prod' },
  spec: { podSelector: { matchLabels: { tier: 'db' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }] },
};

t.before(async () => {
  cp = await startControlPlane(nodeControlPlaneOptions({ log: (line) => t.comment(line) }));
  node = await startNode(cp, { log: (line) => t.comment(line) });
  const configPath = join(cp.dir, 'seed-config.yaml');
  writeFileSync(configPath, seedWebhookConfig());
  webhook = await startWebhook(cp, { configPath });
  await registerWebhooks(cp, webhook);

  await kubectlOk(cp, ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'products-prod', labels: { 'netpol-hygiene.io/profile': 'seed-prod' } } }),
  });
  await kubectlOk(cp, ['create', 'namespace', 'products-stage']);
  const probe = { image: node.probeImage };
  for (const ns of seedNamespaces) {
    await kubectlOk(cp, ['create', 'serviceaccount', businessAccount, '-n', ns]);
    for (const tier of seedTiers) await kubectlOk(cp, ['apply', '-f', '-'], { input: JSON.stringify(seedDeployment(ns, tier, probe)) });
  }
  await kubectlOk(cp, ['apply', '-f', '-'], { input: JSON.stringify(dnsPod(probe)) });
  await kubectlOk(cp, ['create', 'clusterrolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane']);
  await waitFor('the seed\'s six pods and the DNS pod Running and Ready', 300_000, [], async () => {
    const world = await liveWorld();
    return seedWorkloads(world).length === 6 && world.pods.every((p) => p.ips.length > 0) && (await allReady());
  });
});

t.teardown(async () => {
  try {
    await webhook?.stop();
    const report = await node?.stop();
    if (report && report.traces.length > 0) throw new Error(`the node left traces on the host: ${report.traces.join('; ')}`);
  } finally {
    await cp?.stop();
  }
});

async function allReady(): Promise<boolean> {
  const out = await kubectlOk(cp, ['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  const statuses = out.split('\n').filter(Boolean);
  return statuses.length === 7 && statuses.every((s) => s === 'True');
}

async function liveWorld(): Promise<World> {
  return worldOf(await readCluster(cp.kubeconfigPath));
}

/**
 * Probes until real packets agree with the engine (kube-router applies policies a moment after
 * they exist) or the timeout; answers the last comparison either way, for the assertions.
 */
async function compareUntilSettled(withIntent: boolean, timeoutMs = 120_000): Promise<{ comparison: Comparison; world: World; observed: Map<string, boolean> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const world = await liveWorld();
    const dns = world.podsByKey.get('kube-system/coredns');
    if (dns === undefined) throw new Error('the DNS pod is not in the cluster');
    const observed = new Map(await observeProbes(cp, seedProbes(world, dns)));
    const comparison = compareSeedMatrix(world, dns, observed, withIntent);
    if (differingCells(comparison.failures) === 0 || Date.now() > deadline) return { comparison, world, observed };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

t.test('the webhook made the baselines: default deny, DNS, cluster egress and the three tier policies', async (t) => {
  for (const ns of seedNamespaces) {
    t.strictSame(await policyNames(cp, ns), ['allow-business-to-db', 'allow-cluster-egress', 'allow-dns', 'allow-ingress-to-ui', 'allow-ui-to-business', 'default-deny'].sort(), ns);
  }
});

t.test('real packets, the reachability engine and the seed\'s intent agree on every pair and port', async (t) => {
  const { comparison, observed } = await compareUntilSettled(true);
  for (const line of comparison.lines) t.comment(line);
  t.strictSame(comparison.failures, [], 'no cell differs');
  t.ok([...observed.values()].includes(true) && [...observed.values()].includes(false), 'some connections were allowed and some denied');
  t.equal(observed.size, (6 * 5 + 6) * 3 + 6 * 3, 'every pair (a pod to itself excepted) on each seed port, and every workload to DNS on UDP/53, TCP/53 and 9153');
});

t.test('a developer\'s policy above the ceiling is refused and changes nothing; the same policy from an admin opens real connections', async (t) => {
  const refused = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(openDb), ...jane });
  t.equal(refused.code, 1);
  t.match(
    refused.stderr,
    'admission webhook "validate-networkpolicies.netpol-hygiene.io" denied the request: NP-CEILING: NetworkPolicy "open-db" in namespace "products-prod" would allow ingress to tier=db pods from any pod in any namespace on port 8082',
  );
  const before = await compareUntilSettled(true);
  t.strictSame(before.comparison.failures, [], 'after the refusal packets still match the seed');

  const applied = performance.now();
  await kubectlOk(cp, ['apply', '-f', '-'], { input: JSON.stringify(openDb) });
  const after = await compareUntilSettled(false);
  t.comment(`real packets agreed with the engine ${Math.round(performance.now() - applied)}ms after kubectl apply (kube-router's sync included)`);
  for (const line of after.comparison.lines) t.comment(line);
  t.strictSame(after.comparison.failures, [], 'engine and real packets agree after the admin\'s policy');
  const opened = [...after.observed].filter(([key, ok]) => ok && before.observed.get(key) === false).map(([key]) => key).sort();
  t.comment(`opened by the admin's open-db: ${opened.join(', ')}`);
  const dns = dnsWorkload(after.world.podsByKey.get('kube-system/coredns') as NonNullable<ReturnType<World['podsByKey']['get']>>);
  const prodDb = seedWorkloads(after.world).find((w) => w.name === 'products-prod/db');
  t.ok(prodDb, 'products-prod/db is there');
  t.ok(opened.includes(probeKey({ from: dns, to: prodDb!, port: 8082, protocol: 'TCP' })), 'a pod of another namespace now reaches products-prod\'s DB on 8082');
  t.ok(opened.every((key) => key.includes(' products-prod/db TCP/8082')), 'only connections to products-prod\'s DB on 8082 opened');
  await kubectlOk(cp, ['delete', 'networkpolicy', 'open-db', '-n', 'products-prod']);
});
