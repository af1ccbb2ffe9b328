/**
 * Issue 23 through a real kube-apiserver with the ClusterNetworkPolicy CRD of
 * sigs.k8s.io/network-policy-api v0.3.1 installed (harness/cluster-network-policy-crd.ts): the
 * API server validates ClusterNetworkPolicies in both served versions and refuses what its schema
 * refuses, as the engine does; then reachability, explain, diff and report --cluster read what it
 * stored and give the same answers as from the manifests themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, repoRoot, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { runCommand } from '../../harness/processes.ts';
import type { Report } from '../../src/report/model.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const main = join(repoRoot, 'src/cli/main.ts');

let cp: ControlPlane;
/** Created before the control plane, so teardown always has it. */
const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-cnp-'));
const kubectlOk = (args: string[], input?: string): Promise<string> => kubectlAt(cp, args, { input });

const namespaces = ['team-a', 'team-b', 'monitoring'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { tenant: name === 'monitoring' ? 'platform' : 'apps' } } }));
const pods = ([['team-a', 'web'], ['team-b', 'api'], ['monitoring', 'prometheus']] as const).map(([namespace, name]) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }] },
}));

/** Admin (v1beta1): monitoring may scrape every app pod; traffic between tenants is handed to the developers. */
const admin = {
  apiVersion: 'policy.networking.k8s.io/v1beta1', kind: 'ClusterNetworkPolicy', metadata: { name: 'platform' },
  spec: {
    tier: 'Admin', priority: 10, subject: { namespaces: { matchLabels: { tenant: 'apps' } } },
    ingress: [
      { name: 'monitoring-scrapes', action: 'Accept', from: [{ namespaces: { matchLabels: { tenant: 'platform' } } }], protocols: [{ destinationNamedPort: 'http' }] },
      { name: 'tenants-decide', action: 'Pass', from: [{ namespaces: { matchLabels: { tenant: 'apps' } } }] },
    ],
    egress: [{ name: 'no-metadata-service', action: 'Deny', to: [{ networks: ['169.254.169.254/32'] }] }],
  },
};

/** Baseline (v1alpha2, still served): tenants are isolated from each other unless a NetworkPolicy says otherwise. */
const baseline = {
  apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: 'tenant-isolation' },
  spec: {
    tier: 'Baseline', priority: 100, subject: { namespaces: { matchLabels: { tenant: 'apps' } } },
    ingress: [{ name: 'other-tenants', action: 'Deny', from: [{ namespaces: { matchLabels: { tenant: 'apps' } } }] }],
  },
};

/** Pods have no IPs without a kubelet: the status is written as one would report it. */
async function setPodIp(namespace: string, name: string, ip: string): Promise<void> {
  await kubectlOk(['patch', 'pod', name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: ip, podIPs: [{ ip }] } })]);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(node, [main, ...args], { cwd: repoRoot });
}

function yaml(objects: readonly unknown[]): string {
  return objects.map((object) => JSON.stringify(object)).join('\n---\n');
}

t.before(async () => {
  cp = await startControlPlane();
  await kubectlOk(['apply', '-f', '-'], yaml(namespaces));
  for (const pod of pods) {
    await waitFor(`pod ${pod.metadata.namespace}/${pod.metadata.name}`, 60_000, [], async () => (await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) })).code === 0);
  }
  for (const [i, pod] of pods.entries()) await setPodIp(pod.metadata.namespace, pod.metadata.name, `10.9.0.${i + 1}`);
  await kubectlOk(['apply', '-f', '-'], yaml([admin, baseline]));
});

t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  await cp?.stop();
});

t.test('the API server serves both versions and refuses what the engine refuses, with the same field', async (t) => {
  const stored = JSON.parse(await kubectlOk(['get', 'clusternetworkpolicies.v1beta1.policy.networking.k8s.io', 'tenant-isolation', '-o', 'json'])) as { apiVersion: string; spec: { tier: string } };
  t.equal(stored.apiVersion, 'policy.networking.k8s.io/v1beta1', 'a v1alpha2 object is read through v1beta1');
  const bad = { ...admin, metadata: { name: 'bad-cidr' }, spec: { ...admin.spec, egress: [{ action: 'Deny', to: [{ networks: ['169.254.169.254/16'] }] }] } };
  const refused = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(bad) });
  t.not(refused.code, 0);
  t.match(refused.stderr, /spec\.egress\[0\]\.to\[0\]\.networks\[0\]: Invalid value: .*Invalid CIDR format provided/);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, JSON.stringify(bad));
  const engine = await cli(['reachability', '-f', file]);
  t.equal(engine.code, 2);
  t.equal(engine.stderr, `netpol-hygiene reachability: invalid ClusterNetworkPolicy ${file}: bad-cidr: spec.egress[0].to[0].networks[0]: "169.254.169.254/16" has host bits set (the network is 169.254.0.0/16)\n`);
});

/** Tenants' pods take nothing from apps pods, themselves included (the Baseline denies; the engine does not special-case loopback). */
const expectedTable = [
  'TCP/8080: rows from, columns to; . allowed, X denied',
  '-                     monitoring/prometheus team-a/web            team-b/api',
  'monitoring/prometheus .                     .                     .',
  'team-a/web            .                     X                     X',
  'team-b/api            .                     X                     X',
  '',
].join('\n');

t.test('reachability from the live cluster: what the API server stored, as from the manifests', async (t) => {
  const live = await cli(['reachability', '--kubeconfig', cp.kubeconfigPath, '--port', '8080']);
  t.equal(live.code, 0, live.stderr);
  t.equal(live.stdout, expectedTable);
  const file = join(dir, 'all.yaml');
  writeFileSync(file, yaml([...namespaces, ...pods, admin, baseline]));
  const fromFiles = await cli(['reachability', '-f', file, '--port', '8080']);
  t.equal(fromFiles.stdout, expectedTable, 'the manifests (pods without IPs) give the same matrix');
});

t.test('explain from the live cluster: the deciding tier, policy, rule and action, and where a Pass went', async (t) => {
  const passed = await cli(['explain', '--kubeconfig', cp.kubeconfigPath, '--from', 'team-a/web', '--to', 'team-b/api', '--port', '8080']);
  t.equal(passed.code, 0, passed.stderr);
  t.equal(passed.stdout, [
    'team-a/web → team-b/api on TCP/8080: denied',
    '',
    'Egress from team-a/web: allowed: no NetworkPolicy in team-a selects team-a/web with policy type Egress, so it is not isolated for egress.',
    '',
    'Ingress to team-b/api: denied',
    '  Admin tier: ClusterNetworkPolicy platform (priority 10) ingress rule 1 "tenants-decide" applies: Pass: the rest of the Admin tier is skipped, evaluation goes on to the NetworkPolicy tier',
    '  NetworkPolicy tier: no NetworkPolicy in team-b selects team-b/api with policy type Ingress; evaluation goes on to the Baseline tier',
    '  Baseline tier: ClusterNetworkPolicy tenant-isolation (priority 100) ingress rule 0 "other-tenants" applies: Deny: final',
    '',
  ].join('\n'));
  const metadata = await cli(['explain', '--kubeconfig', cp.kubeconfigPath, '--from', '10.9.0.1', '--to', '169.254.169.254', '--port', '80', '-o', 'json']);
  const verdict = JSON.parse(metadata.stdout) as { outcome: string; egress: { tiers: { paths: { decidedBy: string; steps: { policy: string; rule: number; action: string }[] }[] } } };
  t.equal(verdict.outcome, 'denied', 'a pod by its IP, to an address its networks peer names');
  t.strictSame(verdict.egress.tiers.paths.map((p) => [p.decidedBy, p.steps.map((s) => `${s.policy}/${s.rule}/${s.action}`)]), [['Admin', ['platform/0/Deny']]]);
});

t.test('a NetworkPolicy in the NetworkPolicy tier decides for the pods it selects; diff shows what it opens', async (t) => {
  const allow = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: 'team-b', name: 'allow-team-a' }, spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-a' } } }] }] } };
  const after = join(dir, 'after.yaml');
  // --after is the complete set of policies: the cluster's ClusterNetworkPolicies plus the new one.
  writeFileSync(after, yaml([admin, baseline, allow]));
  const diff = await cli(['diff', '--kubeconfig', cp.kubeconfigPath, '--after', after, '--protocol', 'TCP']);
  t.equal(diff.code, 0, diff.stderr);
  t.equal(diff.stdout, [
    '+ team-a/web → team-b/api TCP all ports',
    // The NetworkPolicy isolates team-b/api: what it does not admit is denied, monitoring's scrape on
    // other ports included; the Admin Accept keeps 8080 (the named port http) open.
    '- monitoring/prometheus → team-b/api TCP 1-8079, 8081-65535',
    '',
  ].join('\n'));
});

t.test('report --cluster lists the ClusterNetworkPolicies in evaluation order with the governed namespaces they reach', async (t) => {
  const result = await cli(['report', '--cluster', '--kubeconfig', cp.kubeconfigPath, '-o', 'json']);
  t.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as Report;
  t.strictSame(report.posture?.clusterPolicies, [
    { name: 'platform', tier: 'Admin', priority: 10, namespaces: ['team-a', 'team-b'] },
    { name: 'tenant-isolation', tier: 'Baseline', priority: 100, namespaces: ['team-a', 'team-b'] },
  ]);
  const text = await cli(['report', '--cluster', '--kubeconfig', cp.kubeconfigPath]);
  t.match(text.stdout, /\nClusterNetworkPolicies: 2 \(Admin decides before NetworkPolicies, Baseline after them\)\nTIER +PRIORITY +NAME +GOVERNED NAMESPACES IN SUBJECT\nAdmin +10 +platform +team-a, team-b\nBaseline +100 +tenant-isolation +team-a, team-b\n/);
});
