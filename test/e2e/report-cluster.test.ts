/**
 * Issue 11, `report --cluster` through a real kube-apiserver: the webhook lays down the baseline
 * and an admin widens a namespace beyond its ceiling; then, with the webhook uninstalled (so the
 * reconciler cannot repair), an admin deletes and edits baseline policies and runs pods whose
 * tier is missing, unknown or not entitled. The report, run by a ServiceAccount that may only
 * get and list, shows exactly that, as JSON and as text, alone and beside the webhook's audit log.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, type KubectlOptions, repoRoot, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { runCommand } from '../../harness/processes.ts';
import { PROFILE_LABEL, type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';
import type { NamespacePosture, Report } from '../../src/report/model.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const main = join(repoRoot, 'src/cli/main.ts');

let cp: ControlPlane;
let webhook: Webhook;
let configPath: string;
let readerKubeconfig: string;

const kubectlOk = (args: string[], options: KubectlOptions = {}): Promise<string> => kubectlAt(cp, args, options);

function manifest(kind: string, name: string, namespace: string, rest: Record<string, unknown>): string {
  const apiVersion = kind === 'Pod' ? 'v1' : 'networking.k8s.io/v1';
  const { labels, ...body } = rest;
  return JSON.stringify({ apiVersion, kind, metadata: { name, namespace, ...(labels === undefined ? {} : { labels }) }, ...body });
}

function pod(name: string, namespace: string, labels: Record<string, string>, image = 'nginx:1.27'): string {
  return manifest('Pod', name, namespace, { labels, spec: { containers: [{ name: 'main', image }] } });
}

const openDb = manifest('NetworkPolicy', 'open-db', 'shop-ok', {
  spec: { podSelector: { matchLabels: { tier: 'db' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }] },
});

/** An admin's change, retried while the API server still calls the just-removed webhook. */
async function asAdmin(args: string[], input?: string): Promise<void> {
  await waitFor(`kubectl ${args.join(' ')}`, 20_000, [], async () => (await cp.kubectl(args, { input })).code === 0);
}

async function report(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(node, [main, 'report', '--cluster', '--kubeconfig', readerKubeconfig, '--context', 'reader', '--config', configPath, ...args], { cwd: repoRoot });
}

t.before(async () => {
  cp = await startControlPlane();
  configPath = join(cp.dir, 'report-config.yaml');
  writeFileSync(configPath, ['tierEntitlements:', '  db:', '    - serviceAccounts: [products-db]', ''].join('\n'));
  webhook = await startWebhook(cp, { configPath });
  await registerWebhooks(cp, webhook);

  // With the webhook: baselines laid down by the reconciler, and an admin's widening (allowed and audited).
  await kubectlOk(['create', 'namespace', 'shop-ok']);
  await kubectlOk(['create', 'namespace', 'shop-drift']);
  for (const namespace of ['shop-ok', 'shop-drift', 'default']) {
    await waitFor(`the baseline of ${namespace}`, 30_000, [], async () => (await kubectlOk(['get', 'networkpolicy', 'allow-business-to-db', '-n', namespace, '--ignore-not-found', '-o', 'name'])) !== '');
  }
  await kubectlOk(['apply', '-f', '-'], { input: openDb });
  await kubectlOk(['apply', '-f', '-'], { input: pod('web', 'shop-ok', { tier: 'ui' }) });

  // The webhook uninstalled (the README's emergency step), then stopped: nothing repairs from here on.
  await kubectlOk(['delete', 'validatingwebhookconfiguration/netpol-hygiene', 'mutatingwebhookconfiguration/netpol-hygiene']);
  await waitFor('namespaces admitted without the webhook', 20_000, [], async () => {
    const dryRun = JSON.parse(await kubectlOk(['create', 'namespace', 'probe', '--dry-run=server', '-o', 'json'])) as { metadata: { labels?: Record<string, string> } };
    return dryRun.metadata.labels?.[PROFILE_LABEL] === undefined;
  });
  await webhook.stop();

  await asAdmin(['delete', 'networkpolicy', 'allow-dns', '-n', 'shop-drift', '--ignore-not-found']);
  await asAdmin(['patch', 'networkpolicy', 'default-deny', '-n', 'shop-drift', '--type=json', '-p', '[{"op":"replace","path":"/spec/policyTypes","value":["Ingress"]}]']);
  // A same-named policy netpol-hygiene does not manage: the reconciler would leave it alone.
  await asAdmin(['delete', 'networkpolicy', 'allow-cluster-egress', '-n', 'shop-drift', '--ignore-not-found']);
  await asAdmin(['apply', '-f', '-'], manifest('NetworkPolicy', 'allow-cluster-egress', 'shop-drift', { spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] } }));
  await asAdmin(['apply', '-f', '-'], pod('front', 'shop-drift', { tier: 'frontend' }));
  await asAdmin(['apply', '-f', '-'], pod('worker', 'shop-drift', { app: 'worker' }));
  await asAdmin(['apply', '-f', '-'], pod('db-0', 'shop-drift', { tier: 'db' }, 'postgres:17'));
  await asAdmin(['create', 'namespace', 'shop-bare']);

  // The report's own identity: a ServiceAccount that may get and list, nothing else.
  await kubectlOk(['-n', 'kube-system', 'create', 'serviceaccount', 'posture-reader']);
  await kubectlOk(['create', 'clusterrole', 'posture-reader', '--verb=get,list', '--resource=namespaces,pods,networkpolicies.networking.k8s.io,clusternetworkpolicies.policy.networking.k8s.io']);
  await kubectlOk(['create', 'clusterrolebinding', 'posture-reader', '--clusterrole=posture-reader', '--serviceaccount=kube-system:posture-reader']);
  // And one that may do nothing.
  await kubectlOk(['-n', 'kube-system', 'create', 'serviceaccount', 'nobody']);
  const tokenOf = async (account: string): Promise<string> => (await kubectlOk(['-n', 'kube-system', 'create', 'token', account, '--duration=10m'])).trim();
  readerKubeconfig = join(cp.dir, 'posture-reader.kubeconfig');
  writeFileSync(
    readerKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'admin-elsewhere',
      clusters: [{ name: 'e2e', cluster: { server: cp.serverUrl, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
      users: [
        { name: 'reader', user: { token: await tokenOf('posture-reader') } },
        { name: 'nobody', user: { token: await tokenOf('nobody') } },
      ],
      contexts: [
        { name: 'reader', context: { cluster: 'e2e', user: 'reader' } },
        { name: 'nobody', context: { cluster: 'e2e', user: 'nobody' } },
      ],
    }),
  );
});

t.teardown(async () => {
  await webhook?.stop();
  await cp?.stop();
});

const seed = ['default-deny', 'allow-dns', 'allow-cluster-egress', 'allow-ingress-to-ui', 'allow-ui-to-business', 'allow-business-to-db'];
const openDbMessage =
  'NP-CEILING: NetworkPolicy "open-db" in namespace "shop-ok" would allow ingress to tier=db pods from any pod in any namespace on port 8082; ' +
  'profile "seed" allows ingress to tier=db only from tier=business in shop-ok; narrow spec.ingress[0].from, or ask a member of system:masters';

function expected(name: string, changes: Partial<NamespacePosture>): NamespacePosture {
  return { name, profile: 'seed', baseline: 'complete', missing: [], edited: [], foreign: [], obsolete: [], aboveCeiling: [], pods: 0, tierProblems: [], unmanaged: [], ...changes };
}

t.test('-o json: the posture of every governed namespace, read with get and list only', async (t) => {
  const result = await report(['-o', 'json']);
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stderr, '');
  const parsed = JSON.parse(result.stdout) as Report;
  t.equal(parsed.audit, undefined, 'no audit section without audit logs');
  const posture = parsed.posture!;
  t.equal(posture.server, cp.serverUrl);
  t.strictSame(posture.exempt, ['kube-node-lease', 'kube-public', 'kube-system', 'netpol-hygiene']);
  t.strictSame(posture.terminating, []);
  t.strictSame(posture.namespaces, [
    expected('default', {}),
    expected('shop-bare', { baseline: 'incomplete', missing: seed }),
    expected('shop-drift', {
      baseline: 'incomplete',
      missing: ['allow-dns'],
      edited: ['default-deny'],
      foreign: ['allow-cluster-egress'],
      pods: 3,
      tierProblems: [
        { pod: 'db-0', tier: 'db', problem: 'unentitled', message: 'pod "db-0" has tier=db, which its service account "default" and images postgres:17 are not entitled to' },
        { pod: 'front', tier: 'frontend', problem: 'invalid', message: 'pod "front" has tier=frontend, which is not one of ui, business, db' },
        { pod: 'worker', tier: null, problem: 'missing', message: 'pod "worker" has no tier label' },
      ],
      unmanaged: ['allow-cluster-egress'],
    }),
    expected('shop-ok', { aboveCeiling: [{ policy: 'open-db', messages: [openDbMessage] }], pods: 1, unmanaged: ['open-db'] }),
  ]);
  t.strictSame(posture.totals, {
    namespaces: 4,
    complete: 2,
    exempt: 4,
    missingPolicies: 7,
    editedPolicies: 1,
    foreignPolicies: 1,
    aboveCeiling: 1,
    podsWithoutValidTier: 3,
    pods: 4,
    unmanagedPolicies: 2,
  });
});

t.test('text: the same posture as tables and findings', async (t) => {
  const result = await report([]);
  t.equal(result.code, 0, result.stderr);
  t.equal(
    result.stdout.replace(/^netpol-hygiene report, generated \S+\n\n/, ''),
    `Cluster posture: ${cp.serverUrl}
Namespaces: 4 governed, 2 with a complete baseline; 4 exempt (kube-node-lease, kube-public, kube-system, netpol-hygiene); 0 terminating
Baseline: 7 policies missing, 1 edited, 1 held by unmanaged policies
Above the ceiling: 1 policy; unmanaged: 2 policies
Pods without a valid or entitled tier: 3 of 4

Posture per namespace
NAMESPACE   PROFILE  BASELINE    MISSING  EDITED  FOREIGN  OBSOLETE  ABOVE-CEILING  BAD-TIER  PODS  UNMANAGED
default     seed     complete          0       0        0         0              0         0     0          0
shop-bare   seed     incomplete        6       0        0         0              0         0     0          0
shop-drift  seed     incomplete        1       1        1         0              0         3     3          1
shop-ok     seed     complete          0       0        0         0              1         0     1          1

Findings: 3 namespaces
  shop-bare (profile seed): baseline incomplete
    missing: ${seed.join(', ')}
  shop-drift (profile seed): baseline incomplete
    missing: allow-dns
    edited: default-deny
    held by unmanaged policies: allow-cluster-egress
    pods without a valid or entitled tier: 3 of 3
      pod "db-0" has tier=db, which its service account "default" and images postgres:17 are not entitled to
      pod "front" has tier=frontend, which is not one of ui, business, db
      pod "worker" has no tier label
    unmanaged policies: allow-cluster-egress
  shop-ok (profile seed): baseline complete
    above the ceiling: open-db
      ${openDbMessage}
    unmanaged policies: open-db
`,
  );
});

t.test('beside the audit log the webhook wrote: both sections in one report', async (t) => {
  const result = await report([webhook.logPath, '-o', 'json']);
  t.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout) as Report;
  t.equal(parsed.posture?.totals.namespaces, 4);
  const audit = parsed.audit!;
  t.ok(audit.totals.admissions > 0, `${audit.totals.admissions} admission records`);
  const shopOk = audit.byNamespace.entries.find((entry) => entry.key === 'shop-ok');
  t.ok(shopOk !== undefined && shopOk.decisions.allowed >= 2, "the admin's open-db and the web pod were admitted in shop-ok");
});

t.test('a context the kubeconfig lacks, or a user without list rights: exit 2 and the reason', async (t) => {
  const missing = await runCommand(node, [main, 'report', '--cluster', '--kubeconfig', readerKubeconfig, '--context', 'nope'], { cwd: repoRoot });
  t.equal(missing.code, 2);
  t.equal(missing.stdout, '');
  t.match(missing.stderr, /^netpol-hygiene report: cannot read the cluster: .*context "nope" is not defined \(contexts: reader, nobody\)\n$/);
  const current = await runCommand(node, [main, 'report', '--cluster', '--kubeconfig', readerKubeconfig], { cwd: repoRoot });
  t.equal(current.code, 2, 'the current-context is not defined either');
  t.match(current.stderr, /current-context "admin-elsewhere" is not defined/);
  const nobody = await runCommand(node, [main, 'report', '--cluster', '--kubeconfig', readerKubeconfig, '--context', 'nobody'], { cwd: repoRoot });
  t.equal(nobody.code, 2);
  t.equal(nobody.stdout, '');
  t.match(nobody.stderr, /^netpol-hygiene report: cannot read the cluster: GET \/api\/v1\/namespaces: 403 Forbidden: namespaces is forbidden: User "system:serviceaccount:kube-system:nobody" cannot list resource "namespaces"/);
});
