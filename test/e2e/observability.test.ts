// Issue 11 through a real kube-apiserver: an exec credential plugin (a script returning a
// ServiceAccount token from `kubectl create token`) authenticates `reachability --context`
// and `serve`, and GET /metrics counts what the API server's calls did.
import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ControlPlane, repoRoot, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { runCommand } from '../../harness/processes.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const main = join(repoRoot, 'src/cli/main.ts');

/** A plugin script: logs each run, then prints an ExecCredential with a token for the ServiceAccount (or a fixed bogus one). */
function writePlugin(cp: ControlPlane, name: string, serviceAccount: string | undefined): string {
  const path = join(cp.dir, name);
  const token =
    serviceAccount === undefined ? 'token=not-a-valid-token' : `token=$("${join(cp.binDir, 'kubectl')}" --kubeconfig "${cp.kubeconfigPath}" -n e2e-exec create token ${serviceAccount} --duration=10m) || exit 1`;
  writeFileSync(path, `#!/bin/sh\necho run >> "${path}.runs"\n${token}\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$token"\n`);
  chmodSync(path, 0o755);
  return path;
}

function execKubeconfig(cp: ControlPlane, users: Record<string, string>, current: string): string {
  const path = join(cp.dir, `exec-${current}.kubeconfig`);
  writeFileSync(join(cp.dir, 'apiserver-ca.crt'), cp.caPem);
  const exec = (command: string) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } });
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': current,
      clusters: [{ name: 'e2e', cluster: { server: cp.serverUrl, 'certificate-authority': 'apiserver-ca.crt' } }],
      users: Object.entries(users).map(([name, command]) => ({ name, user: exec(command) })),
      contexts: Object.keys(users).map((name) => ({ name, context: { cluster: 'e2e', user: name } })),
    }),
  );
  return path;
}

const runs = (plugin: string): number => readFileSync(`${plugin}.runs`, 'utf8').split('\n').filter(Boolean).length;

/** Sample lines of the netpol_hygiene_ families, as a map from series to value. */
async function scrape(webhook: Webhook): Promise<Map<string, number>> {
  const response = await webhook.request('GET', '/metrics');
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status} ${response.body}`);
  const series = new Map<string, number>();
  for (const line of response.body.split('\n')) {
    const match = /^(netpol_hygiene_\S+) (\S+)$/.exec(line);
    if (match) series.set(match[1]!, Number(match[2]));
  }
  return series;
}

const delta = (before: Map<string, number>, after: Map<string, number>, key: string): number => (after.get(key) ?? 0) - (before.get(key) ?? 0);

t.test('exec credential plugin and /metrics against a real kube-apiserver', async (t) => {
  let cp: ControlPlane | undefined;
  const webhooks: Webhook[] = [];
  t.teardown(async () => {
    for (const webhook of webhooks) await webhook.stop();
    await cp?.stop();
  });
  cp = await startControlPlane();
  await kubectlOk(cp, ['create', 'namespace', 'e2e-exec']);
  await kubectlOk(cp, ['-n', 'e2e-exec', 'create', 'serviceaccount', 'reader']);
  await kubectlOk(cp, ['-n', 'e2e-exec', 'create', 'serviceaccount', 'webhook']);
  // What reachability lists: ClusterNetworkPolicies too, since the control plane serves them.
  await kubectlOk(cp, ['create', 'clusterrole', 'e2e-reader', '--verb=get,list', '--resource=namespaces,pods,networkpolicies.networking.k8s.io,clusternetworkpolicies.policy.networking.k8s.io']);
  await kubectlOk(cp, ['create', 'clusterrolebinding', 'e2e-reader', '--clusterrole=e2e-reader', '--serviceaccount=e2e-exec:reader']);
  await kubectlOk(cp, ['create', 'clusterrolebinding', 'e2e-webhook', '--clusterrole=cluster-admin', '--serviceaccount=e2e-exec:webhook']);
  const reader = writePlugin(cp, 'reader-plugin.sh', 'reader');
  const bogus = writePlugin(cp, 'bogus-plugin.sh', undefined);
  const kubeconfig = execKubeconfig(cp, { reader, bogus }, 'bogus');

  await t.test('reachability --context runs the plugin once and the API server accepts its token', async (t) => {
    const result = await runCommand(node, [main, 'reachability', '--kubeconfig', kubeconfig, '--context', 'reader', '-o', 'json'], { cwd: repoRoot });
    t.equal(result.code, 0, result.stderr);
    // No pods run here (no nodes): what matters is that every list call was authorised.
    t.same(JSON.parse(result.stdout), { port: 80, protocol: 'TCP', pods: [], matrix: {} }, 'the (empty) matrix, read with the plugin\'s token');
    t.equal(runs(reader), 1, 'one token for the whole run: the credential is reused while valid');
  });

  await t.test('the current-context, whose plugin returns a token the API server does not know, is refused with its 401', async (t) => {
    const result = await runCommand(node, [main, 'reachability', '--kubeconfig', kubeconfig, '-o', 'json'], { cwd: repoRoot });
    t.equal(result.code, 1);
    t.match(result.stderr, /^netpol-hygiene: GET \/api\/v1\/namespaces: 401 Unauthorized: Unauthorized\n$/);
    t.equal(runs(bogus), 1);
  });

  await t.test('serve authenticates through the plugin: caches sync, the Lease is taken', async (t) => {
    const servingPlugin = writePlugin(cp!, 'webhook-plugin.sh', 'webhook');
    const serving = await startWebhook(cp!, { kubeconfigPath: execKubeconfig(cp!, { webhook: servingPlugin }, 'webhook'), env: { POD_NAME: 'exec-plugin-replica' } });
    webhooks.push(serving);
    await waitFor('readyz through the exec plugin', 30_000, [], async () => (await serving.request('GET', '/readyz')).status === 200);
    const series = await scrape(serving);
    t.equal(series.get('netpol_hygiene_cache_synced{resource="namespaces"}'), 1);
    t.equal(series.get('netpol_hygiene_cache_synced{resource="networkpolicies"}'), 1);
    t.ok(runs(servingPlugin) >= 1);
    t.comment(`serve RSS with an exec-plugin kubeconfig: ${Math.round((serving.rss() ?? 0) / 1024)} MiB`);
    const holder = (): Promise<string> => kubectlOk(cp!, ['get', 'lease', 'netpol-hygiene-reconciler', '-n', 'netpol-hygiene', '-o', 'jsonpath={.spec.holderIdentity}']);
    await waitFor('the Lease', 60_000, [], async () => (await holder().catch(() => '')) === 'exec-plugin-replica');
    t.equal((await scrape(serving)).get('netpol_hygiene_reconciler_leader'), 1, 'the Lease in the API server names this replica, written with the plugin\'s token, and it says it leads');
    // Hands the Lease back for the next test's webhook.
    await serving.stop();
    t.equal(await holder(), '', 'released on stop');
  });

  await t.test('/metrics counts a namespace creation exactly', async (t) => {
    const webhook = await startWebhook(cp!);
    webhooks.push(webhook);
    await registerWebhooks(cp!, webhook);
    await waitFor('readyz', 30_000, [], async () => (await webhook.request('GET', '/readyz')).status === 200);
    t.comment(`serve RSS with a client-certificate kubeconfig: ${Math.round((webhook.rss() ?? 0) / 1024)} MiB`);
    await waitFor('the Lease', 30_000, [], async () => (await scrape(webhook)).get('netpol_hygiene_reconciler_leader') === 1);
    const before = await scrape(webhook);
    await kubectlOk(cp!, ['create', 'namespace', 'obs-metrics']);
    await waitFor('the baseline repair', 15_000, [], async () => delta(before, await scrape(webhook), 'netpol_hygiene_repairs_total{reason="namespace-created"}') === 1);
    const after = await scrape(webhook);
    const ns = (webhookName: string, decision: string, rule: string): string =>
      `netpol_hygiene_admission_requests_total{webhook="${webhookName}",kind="Namespace",operation="CREATE",decision="${decision}",rule="${rule}",mode="enforce"}`;
    t.equal(delta(before, after, ns('mutate', 'patched', 'NS-DEFAULT-DENY')), 1, 'the mutating call');
    t.equal(delta(before, after, ns('validate', 'allowed', 'none')), 1, 'the validating call, after the mutation');
    t.equal(delta(before, after, 'netpol_hygiene_repairs_total{reason="namespace-created"}'), 1, 'one repair: the new namespace got its baseline');
    t.equal(delta(before, after, 'netpol_hygiene_admission_duration_seconds_count{webhook="mutate",kind="Namespace"}'), 1);
    const policies = 'netpol_hygiene_admission_requests_total{webhook="validate",kind="NetworkPolicy",operation="CREATE",decision="allowed",rule="none",mode="enforce"}';
    t.equal(delta(before, after, policies), 6, 'the six baseline policies the repair created, each validated');
    const expiry = after.get('netpol_hygiene_serving_certificate_expiry_timestamp_seconds') ?? 0;
    t.ok(expiry * 1000 > Date.now() + 6 * 86_400_000, 'the serving certificate (7 days) expires in about a week');
    t.equal(after.get('netpol_hygiene_reconciler_queue_depth'), 0);
    for (const [key, value] of after) if (delta(before, after, key) !== 0 && !key.includes('_bucket')) t.comment(`${key} +${delta(before, after, key)} = ${value}`);
  });
});
