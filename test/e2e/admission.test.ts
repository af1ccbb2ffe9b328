/**
 * Admission through a real kube-apiserver calling the webhook over HTTPS. Another replica
 * holds the reconciler's Lease here, so everything a namespace gets comes from admission
 * itself (pod self-heal), never from the reconciler; test/e2e/reconciler.test.ts covers that.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, type KubectlOptions, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt, policyNames as policiesAt } from '../../harness/kubectl.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const baselineNames = ['allow-business-to-db', 'allow-cluster-egress', 'allow-dns', 'allow-ingress-to-ui', 'allow-ui-to-business', 'default-deny'];
const developer = { as: 'jane', asGroups: ['developers'] };

let cp: ControlPlane;
let webhook: Webhook;

function pod(name: string, namespace: string, options: { labels?: Record<string, string>; image?: string } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(options.labels ? { labels: options.labels } : {}) },
    spec: { containers: [{ name: 'app', image: options.image ?? 'registry.example.com/products/app:1.0' }] },
  });
}

const kubectlOk = (args: string[], options: KubectlOptions = {}): Promise<string> => kubectlAt(cp, args, options);

const policyNames = (namespace: string): Promise<string[]> => policiesAt(cp, namespace);

function auditFor(predicate: (record: Record<string, unknown>) => boolean): Record<string, unknown>[] {
  return webhook.auditRecords().filter(predicate);
}

t.before(async () => {
  cp = await startControlPlane();
  await kubectlOk(['create', 'namespace', 'netpol-hygiene']);
  // Another replica leads for the next hour: this webhook serves admission only.
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  await kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'netpol-hygiene-reconciler', namespace: 'netpol-hygiene' },
      spec: { holderIdentity: 'another-replica', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now },
    }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, ['tierRules:', '  - name: web-frontends', '    tier: ui', '    match:', '      images: ["nginx*", "*/nginx*"]', ''].join('\n'));
  webhook = await startWebhook(cp, { configPath });
  await registerWebhooks(cp, webhook);
  // jane: a developer who may manage workloads and policies in namespaces, and label namespaces.
  await kubectlOk(['create', 'clusterrolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane']);
  await kubectlOk(['create', 'clusterrole', 'namespace-labeller', '--verb=get,list,patch,update,create', '--resource=namespaces']);
  await kubectlOk(['create', 'clusterrolebinding', 'jane-namespaces', '--clusterrole=namespace-labeller', '--user=jane']);
});

t.teardown(async () => {
  await webhook?.stop();
  await cp?.stop();
});

t.test('a pod with no tier and no matching rule is denied with the POD-TIER message', async (t) => {
  await kubectlOk(['create', 'namespace', 'team-a']);
  const result = await cp.kubectl(['apply', '-f', '-'], { input: pod('bare', 'team-a') });
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    'Error from server (Forbidden): error when creating "STDIN": admission webhook "validate-pods.netpol-hygiene.io" denied the request: ' +
      'POD-TIER: pod "bare" in namespace "team-a" has no "tier" label and no rule matched; set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace\n',
  );
  t.equal((await cp.kubectl(['get', 'pod', 'bare', '-n', 'team-a'])).code, 1, 'the pod does not exist');
  const record = await webhook.auditRecord((r) => r.webhook === 'validate' && r.name === 'bare');
  t.match(record, { event: 'admission', operation: 'CREATE', kind: 'Pod', namespace: 'team-a', user: 'e2e-admin', decision: 'denied', code: 403, mode: 'enforce', rules: ['POD-TIER'] });
});

t.test('a pod created right after its namespace is admitted only once the namespace is protected', async (t) => {
  await kubectlOk(['create', 'namespace', 'fresh']);
  t.same(await policyNames('fresh'), [], 'no reconciler here: the namespace starts without policies');
  await kubectlOk(['apply', '-f', '-'], { input: pod('first', 'fresh', { labels: { tier: 'business' } }) });
  t.same(await policyNames('fresh'), baselineNames, 'the baseline was applied before the pod was admitted');
  const record = await webhook.auditRecord((r) => r.webhook === 'validate' && r.name === 'first');
  t.match(record, { decision: 'allowed', rules: [], dryRun: false });
  t.same((record as { reasons?: string[] }).reasons, [
    'applied the baseline to namespace "fresh": default-deny, allow-dns, allow-cluster-egress, allow-ingress-to-ui, allow-ui-to-business, allow-business-to-db',
  ]);
  await webhook.auditRecord((r) => r.event === 'repair' && r.namespace === 'fresh');
  const repairs = auditFor((r) => r.event === 'repair' && r.namespace === 'fresh');
  t.equal(repairs.length, 1, 'one audit record for the repair');
  const managed = JSON.parse(await kubectlOk(['get', 'networkpolicy', 'default-deny', '-n', 'fresh', '-o', 'json', '--show-managed-fields'])) as {
    metadata: { labels: Record<string, string>; managedFields: { manager: string; operation: string }[] };
    spec: unknown;
  };
  t.same(managed.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  t.equal(managed.metadata.labels['app.kubernetes.io/managed-by'], 'netpol-hygiene');
  t.ok(managed.metadata.managedFields.some((f) => f.manager === 'netpol-hygiene' && f.operation === 'Apply'), 'applied server-side by field manager netpol-hygiene');
});

t.test('self-heal restores only what is missing, and the audit record says which', async (t) => {
  await kubectlOk(['delete', 'networkpolicy', 'default-deny', '-n', 'fresh']);
  await kubectlOk(['apply', '-f', '-'], { input: pod('second', 'fresh', { labels: { tier: 'business' } }) });
  t.same(await policyNames('fresh'), baselineNames);
  const record = await webhook.auditRecord((r) => r.webhook === 'validate' && r.name === 'second');
  t.same((record as { reasons?: string[] }).reasons, ['applied the baseline to namespace "fresh": default-deny']);
});

t.test('a pod made by a Deployment gets the inferred tier label and the tier-source annotation', async (t) => {
  await kubectlOk(['create', 'namespace', 'products-prod']);
  await kubectlOk(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=8080', '-n', 'products-prod']);
  let pods: { metadata: { name: string; generateName: string; labels: Record<string, string>; annotations: Record<string, string> } }[] = [];
  await waitFor('the ReplicaSet to create a pod', 60_000, [], async () => {
    pods = (JSON.parse(await kubectlOk(['get', 'pods', '-n', 'products-prod', '-l', 'app=web', '-o', 'json'])) as { items: typeof pods }).items;
    return pods.length > 0;
  });
  const [created] = pods;
  t.match(created?.metadata.generateName, /^web-[a-z0-9]+-$/, 'named by generateName');
  t.equal(created?.metadata.labels.tier, 'ui');
  t.equal(created?.metadata.annotations['netpol-hygiene.io/tier-source'], 'rule:web-frontends');
  const mutation = await webhook.auditRecord((r) => r.webhook === 'mutate' && r.kind === 'Pod' && r.namespace === 'products-prod');
  t.match(mutation, { decision: 'patched', rules: ['POD-TIER'], user: 'system:serviceaccount:kube-system:replicaset-controller', reasons: ['tier=ui from rule:web-frontends'] });
  t.same((mutation as { patch?: unknown }).patch, [
    { op: 'add', path: '/metadata/labels/tier', value: 'ui' },
    { op: 'add', path: '/metadata/annotations', value: { 'netpol-hygiene.io/tier-source': 'rule:web-frontends' } },
  ]);
});

t.test('a pod that carries its own tier label is admitted unpatched; the audit record keeps the source', async (t) => {
  await kubectlOk(['create', 'namespace', 'own-label']);
  await kubectlOk(['apply', '-f', '-'], { input: pod('labelled', 'own-label', { labels: { tier: 'business' } }) });
  const created = JSON.parse(await kubectlOk(['get', 'pod', 'labelled', '-n', 'own-label', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
  t.same(created.metadata.labels, { tier: 'business' });
  t.equal(created.metadata.annotations?.['netpol-hygiene.io/tier-source'], undefined, 'no tier-source annotation restating the label');
  const mutation = await webhook.auditRecord((r) => r.webhook === 'mutate' && r.kind === 'Pod' && r.name === 'labelled');
  t.match(mutation, { decision: 'allowed', rules: [], reasons: ['tier=business from label'] });
  t.equal((mutation as { patch?: unknown }).patch, undefined);
});

t.test('warn mode admits the pod and kubectl prints the warning', async (t) => {
  await kubectlOk(['create', 'namespace', 'team-warn']);
  await kubectlOk(['label', 'namespace', 'team-warn', 'netpol-hygiene.io/mode=warn']);
  const result = await cp.kubectl(['apply', '-f', '-'], { input: pod('unlabelled', 'team-warn') });
  t.equal(result.code, 0);
  t.equal(result.stdout, 'pod/unlabelled created\n');
  t.equal(
    result.stderr,
    'Warning: POD-TIER: pod "unlabelled" in namespace "team-warn" has no "tier" label and no rule matched; set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace\n',
  );
  const record = await webhook.auditRecord((r) => r.webhook === 'validate' && r.name === 'unlabelled');
  t.match(record, { decision: 'warned', mode: 'warn', rules: ['POD-TIER'] });
});

t.test('a server-side dry run has no side effects', async (t) => {
  await kubectlOk(['create', 'namespace', 'dry']);
  const out = await kubectlOk(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: pod('trial', 'dry', { image: 'nginx:1.27' }) });
  const answered = JSON.parse(out) as { metadata: { labels: Record<string, string> } };
  t.equal(answered.metadata.labels.tier, 'ui', 'the dry run shows the label the real request would get');
  t.equal((await cp.kubectl(['get', 'pod', 'trial', '-n', 'dry'])).code, 1, 'no pod');
  t.same(await policyNames('dry'), [], 'no baseline was applied');
  t.same(auditFor((r) => r.event === 'repair' && r.namespace === 'dry'), [], 'no repair recorded');
  const record = await webhook.auditRecord((r) => r.webhook === 'validate' && r.name === 'trial');
  t.match(record, { dryRun: true, decision: 'allowed' });
  t.same((record as { reasons?: string[] }).reasons, [
    'would apply (dry run) the baseline to namespace "dry": default-deny, allow-dns, allow-cluster-egress, allow-ingress-to-ui, allow-ui-to-business, allow-business-to-db',
  ]);
});

t.test('opting a namespace out is denied; so is a developer changing its profile', async (t) => {
  const optOut = await cp.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'optout', labels: { 'netpol-hygiene.io/profile': 'none' } } }),
  });
  t.equal(
    optOut.stderr,
    'Error from server (Forbidden): error when creating "STDIN": admission webhook "validate-namespaces.netpol-hygiene.io" denied the request: ' +
      'NS-DEFAULT-DENY: namespace "optout" sets netpol-hygiene.io/profile=none, which opts out of the default-deny baseline; remove the label or set it to one of: seed, seed-prod; only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)\n',
  );
  await kubectlOk(['create', 'namespace', 'team-b']);
  const relabel = await cp.kubectl(['label', 'namespace', 'team-b', 'netpol-hygiene.io/profile=seed-prod', '--overwrite'], developer);
  t.equal(
    relabel.stderr,
    'Error from server (Forbidden): admission webhook "validate-namespaces.netpol-hygiene.io" denied the request: ' +
      'NS-LABELS: changing netpol-hygiene.io/profile on namespace "team-b" requires membership in an admin group (system:masters); user "jane" is not in one\n',
  );
  await kubectlOk(['label', 'namespace', 'team-b', 'netpol-hygiene.io/profile=seed-prod', '--overwrite']);
  t.equal(await kubectlOk(['get', 'namespace', 'team-b', '-o', 'jsonpath={.metadata.labels.netpol-hygiene\\.io/profile}']), 'seed-prod', 'an admin may');
});

t.test('NP-GUARD: a developer cannot delete or weaken a managed policy; an admin can', async (t) => {
  await kubectlOk(['create', 'namespace', 'guarded']);
  await kubectlOk(['apply', '-f', '-'], { input: pod('app', 'guarded', { labels: { tier: 'db' } }) });
  const deleted = await cp.kubectl(['delete', 'networkpolicy', 'default-deny', '-n', 'guarded'], developer);
  t.equal(
    deleted.stderr,
    'Error from server (Forbidden): admission webhook "validate-networkpolicies.netpol-hygiene.io" denied the request: ' +
      'NP-GUARD: NetworkPolicy "default-deny" in namespace "guarded" is part of the netpol-hygiene baseline (profile "seed"); user "jane" may not delete it; change the profile in the netpol-hygiene config, or ask a member of system:masters\n',
  );
  const weakened = await cp.kubectl(['patch', 'networkpolicy', 'default-deny', '-n', 'guarded', '--type=merge', '-p', '{"spec":{"policyTypes":["Ingress"]}}'], developer);
  t.match(weakened.stderr, /NP-GUARD: NetworkPolicy "default-deny" in namespace "guarded" is part of the netpol-hygiene baseline \(profile "seed"\); user "jane" may not change it/);
  const annotated = await cp.kubectl(['annotate', 'networkpolicy', 'default-deny', '-n', 'guarded', 'team/owner=platform'], developer);
  t.equal(annotated.code, 0, 'a metadata-only edit is allowed');
  await kubectlOk(['delete', 'networkpolicy', 'allow-dns', '-n', 'guarded']);
  t.notOk((await policyNames('guarded')).includes('allow-dns'), 'an admin may delete one');
});

t.test('an admitted pod keeps a valid tier label; other pod updates never reach the webhook', async (t) => {
  await kubectlOk(['create', 'namespace', 'relabel']);
  await kubectlOk(['apply', '-f', '-'], { input: pod('api', 'relabel', { labels: { tier: 'business' } }) });
  const removed = await cp.kubectl(['label', 'pod', 'api', '-n', 'relabel', 'tier-'], developer);
  t.equal(
    removed.stderr,
    'Error from server (Forbidden): admission webhook "validate-pods.netpol-hygiene.io" denied the request: ' +
      'POD-TIER: pod "api" in namespace "relabel" would lose its "tier" label (tier=business); admitted pods keep one of ui, business, db\n',
  );
  const moved = await cp.kubectl(['label', 'pod', 'api', '-n', 'relabel', 'tier=db', '--overwrite'], developer);
  t.equal(moved.code, 0, 'moving to another valid tier is allowed');
  // Audit records are written just after the response: wait for each one the count depends on.
  const podUpdate = (r: Record<string, unknown>): boolean => r.kind === 'Pod' && r.operation === 'UPDATE' && r.name === 'api';
  await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && podUpdate(l) && l.decision === 'allowed');
  const before = auditFor(podUpdate).length;
  await kubectlOk(['label', 'pod', 'api', '-n', 'relabel', 'release=canary']);
  await kubectlOk(['annotate', 'pod', 'api', '-n', 'relabel', 'team/owner=payments']);
  // A tier change does reach the webhook: once its record is in, any record of the two updates above would be too.
  await kubectlOk(['label', 'pod', 'api', '-n', 'relabel', 'tier=business', '--overwrite']);
  await webhook.waitForLine(() => auditFor(podUpdate).length > before);
  t.equal(auditFor(podUpdate).length, before + 1, 'matchConditions keep other updates away from the webhook');
});

t.test('kube-system is untouched', async (t) => {
  await kubectlOk(['apply', '-f', '-'], { input: pod('system-helper', 'kube-system') });
  const labels = await kubectlOk(['get', 'pod', 'system-helper', '-n', 'kube-system', '-o', 'jsonpath={.metadata.labels}']);
  t.equal(labels, '', 'no tier label injected');
  t.same(await policyNames('kube-system'), [], 'no policies created');
  t.same(auditFor((r) => r.namespace === 'kube-system'), [], 'the API server never asked the webhook');
});

t.test('deleting a governed namespace completes', async (t) => {
  await kubectlOk(['create', 'namespace', 'short-lived']);
  await kubectlOk(['apply', '-f', '-'], { input: pod('app', 'short-lived', { labels: { tier: 'ui' } }) });
  t.same(await policyNames('short-lived'), baselineNames);
  const started = Date.now();
  await kubectlOk(['delete', 'namespace', 'short-lived', '--wait=true', '--timeout=90s']);
  t.equal((await cp.kubectl(['get', 'namespace', 'short-lived'])).code, 1, 'the namespace is gone');
  t.comment(`namespace deletion took ${Date.now() - started} ms`);
});
