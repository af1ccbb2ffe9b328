/**
 * The shipped manifests against a real kube-apiserver: they render and apply with
 * server-side apply, the ServiceAccount can do exactly what the code needs (checked with
 * SubjectAccessReviews, then by running the webhook with that account's token).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, type KubectlOptions, repoRoot, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { runCommand } from '../../harness/processes.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const serviceAccount = 'system:serviceaccount:netpol-hygiene:netpol-hygiene';
let cp: ControlPlane;
let webhook: Webhook | undefined;
let workDir: string;

const kubectlOk = (args: string[], options: KubectlOptions = {}): Promise<string> => kubectlAt(cp, args, options);

t.before(async () => {
  cp = await startControlPlane();
  workDir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-install-'));
  cpSync(join(repoRoot, 'manifests'), join(workDir, 'manifests'), { recursive: true });
});

t.teardown(async () => {
  await webhook?.stop();
  await cp?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

t.test('both overlays render; the self-signed one applies cleanly with server-side apply', async (t) => {
  const certsDir = join(workDir, 'manifests/overlays/self-signed/certs');
  const certs = await runCommand(join(repoRoot, 'node_modules/.bin/node'), [
    join(repoRoot, 'src/cli/main.ts'), 'certs', '--out-dir', certsDir,
    '--dns', 'netpol-hygiene.netpol-hygiene.svc', '--dns', 'netpol-hygiene.netpol-hygiene.svc.cluster.local',
  ]);
  t.equal(certs.code, 0, certs.stderr);
  const certManager = await cp.kubectl(['kustomize', join(workDir, 'manifests/overlays/cert-manager')]);
  t.equal(certManager.code, 0, `cert-manager overlay renders: ${certManager.stderr}`);
  t.match(certManager.stdout, /cert-manager.io\/inject-ca-from: netpol-hygiene\/netpol-hygiene-serving/);

  const rendered = await kubectlOk(['kustomize', join(workDir, 'manifests/overlays/self-signed')]);
  const applied = await cp.kubectl(['apply', '--server-side', '--field-manager=install-test', '-f', '-'], { input: rendered });
  t.equal(applied.code, 0, `apply: ${applied.stderr}`);
  for (const object of [
    'namespace/netpol-hygiene', 'serviceaccount/netpol-hygiene -n netpol-hygiene', 'deployment/netpol-hygiene -n netpol-hygiene',
    'service/netpol-hygiene -n netpol-hygiene', 'poddisruptionbudget/netpol-hygiene -n netpol-hygiene', 'configmap/netpol-hygiene-config -n netpol-hygiene',
    'secret/netpol-hygiene-tls -n netpol-hygiene', 'networkpolicy -n netpol-hygiene', 'clusterrole/netpol-hygiene', 'role/netpol-hygiene-leader-election -n netpol-hygiene',
  ]) {
    t.equal((await cp.kubectl(['get', ...object.split(' ')])).code, 0, `${object} exists`);
  }
  const caBundle = Buffer.from(readFileSync(join(certsDir, 'ca.crt'))).toString('base64');
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const bundles = (await kubectlOk(['get', kind, 'netpol-hygiene', '-o', 'jsonpath={.webhooks[*].clientConfig.caBundle}'])).split(' ');
    t.ok(bundles.length >= 2 && bundles.every((b) => b === caBundle), `${kind}: every webhook trusts the generated CA`);
  }
  const config = await kubectlOk(['get', 'configmap', 'netpol-hygiene-config', '-n', 'netpol-hygiene', '-o', 'jsonpath={.data.config\\.yaml}']);
  t.equal(config, readFileSync(join(repoRoot, 'config/default.yaml'), 'utf8'), 'the ConfigMap holds the shipped default config');
  // No webhook pods run here (no kubelet): take the service-based registrations out again,
  // or every pod creation in a governed namespace would fail (failurePolicy: Fail).
  await kubectlOk(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', 'netpol-hygiene']);
});

t.test('the ServiceAccount may do what the code needs and nothing else', async (t) => {
  const allowed = [
    'list namespaces', 'watch namespaces',
    'list networkpolicies.networking.k8s.io --all-namespaces', 'watch networkpolicies.networking.k8s.io --all-namespaces',
    'patch networkpolicies.networking.k8s.io -n products-prod', 'create networkpolicies.networking.k8s.io -n products-prod', 'delete networkpolicies.networking.k8s.io -n products-prod', 'create events -n default',
    'get leases.coordination.k8s.io -n netpol-hygiene', 'create leases.coordination.k8s.io -n netpol-hygiene', 'update leases.coordination.k8s.io -n netpol-hygiene',
  ];
  const denied = [
    'update networkpolicies.networking.k8s.io -n products-prod',
    'get namespaces', 'update namespaces', 'patch namespaces', 'get networkpolicies.networking.k8s.io -n products-prod', 'update events -n default', 'delete namespaces', 'create pods -n products-prod', 'list pods --all-namespaces', 'get secrets -n netpol-hygiene',
    'list secrets --all-namespaces', 'update leases.coordination.k8s.io -n kube-system', 'delete leases.coordination.k8s.io -n netpol-hygiene', 'create clusterroles',
    'create mutatingwebhookconfigurations.admissionregistration.k8s.io',
  ];
  for (const [expectation, checks] of [['yes', allowed], ['no', denied]] as const) {
    for (const check of checks) {
      const result = await cp.kubectl(['auth', 'can-i', ...check.split(' '), `--as=${serviceAccount}`]);
      t.equal(result.stdout.trim(), expectation, `can-i ${check}: ${expectation}`);
    }
  }
});

t.test('the webhook runs with only that ServiceAccount token: baseline, Lease and Event all work', async (t) => {
  const token = (await kubectlOk(['create', 'token', 'netpol-hygiene', '-n', 'netpol-hygiene', '--duration=1h'])).trim();
  const kubeconfigPath = join(workDir, 'service-account.kubeconfig');
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server: cp.serverUrl, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
      users: [{ name: 'netpol-hygiene', user: { token } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'netpol-hygiene' } }],
      'current-context': 'e2e',
    }),
  );
  webhook = await startWebhook(cp, { kubeconfigPath, namespace: false });
  await registerWebhooks(cp, webhook);
  await kubectlOk(['create', 'namespace', 'products-prod']);
  await waitFor('the baseline in products-prod', 15_000, [], async () => (await kubectlOk(['get', 'networkpolicies', '-n', 'products-prod', '-o', 'name'])).split('\n').filter(Boolean).length === 6);
  t.pass('the baseline was applied with the ServiceAccount');
  t.equal(await kubectlOk(['get', 'lease', 'netpol-hygiene-reconciler', '-n', 'netpol-hygiene', '-o', 'jsonpath={.spec.holderIdentity}']) !== '', true, 'the Lease is held');
  await waitFor('a BaselineApplied event', 10_000, [], async () => (await kubectlOk(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.name=products-prod,reason=BaselineApplied', '-o', 'name'])) !== '');
  t.pass('the Event was recorded');
  const forbidden = webhook.lines().filter((l) => JSON.stringify(l).includes('forbidden'));
  t.same(forbidden, [], 'no request of the webhook was forbidden');
});
