/**
 * Issue 9 through a real kube-apiserver: a developer with ordinary edit rights (kubectl --as
 * jane) cannot open a namespace beyond its profile's ceiling with any of the known bypasses,
 * warn mode prints the reason, an admin may widen (and it is audited), and a tier is carried
 * only by the pods entitled to it, bare or made by a Deployment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { type ControlPlane, type KubectlOptions, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const jane = { as: 'jane', asGroups: ['developers'] };
const webhookName = 'validate-networkpolicies.netpol-hygiene.io';

let cp: ControlPlane;
let webhook: Webhook;

const kubectlOk = (args: string[], options: KubectlOptions = {}): Promise<string> => kubectlAt(cp, args, options);

function policy(name: string, namespace: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
}

function pod(name: string, serviceAccountName?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'products-prod', labels: { tier: 'db' } },
    spec: { ...(serviceAccountName === undefined ? {} : { serviceAccountName }), containers: [{ name: 'db', image: 'registry.example.com/products/postgres:16' }] },
  });
}

function deployment(name: string, serviceAccountName?: string): string {
  const labels = { app: name, tier: 'db' };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'products-prod' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: { ...(serviceAccountName === undefined ? {} : { serviceAccountName }), containers: [{ name: 'db', image: 'registry.example.com/products/postgres:16' }] },
      },
    },
  });
}

const refusedCreate = (message: string): string =>
  `Error from server (Forbidden): error when creating "STDIN": admission webhook "${webhookName}" denied the request: ${message}\n`;

const ceilingMessage = (name: string, namespace: string, body: string): string =>
  `NP-CEILING: NetworkPolicy "${name}" in namespace "${namespace}" ${body}, or ask a member of system:masters`;

const prodDb = 'profile "seed-prod" allows ingress to tier=db only from tier=business in products-prod and products-stage';
const prodEgress = (pods: string): string => `profile "seed-prod" allows egress from ${pods} only to k8s-app=kube-dns in kube-system, any pod in any namespace`;
const tierDb = { matchLabels: { tier: 'db' } };
const fromBusiness = { podSelector: { matchLabels: { tier: 'business' } } };

t.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-ceiling-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    ['tierEntitlements:', '  db:', '    - serviceAccounts: [products-db]', '      namespaces: [products-prod]', '    - images: ["registry.example.com/products/pgbouncer:*"]', ''].join('\n'),
  );
  cp = await startControlPlane();
  // Before the webhook: a namespace with a policy above the ceiling, to be reported at backfill.
  await kubectlOk(['create', 'namespace', 'legacy']);
  await kubectlOk(['apply', '-f', '-'], { input: policy('allow-all', 'legacy', { podSelector: {}, ingress: [{}] }) });
  webhook = await startWebhook(cp, { configPath });
  await registerWebhooks(cp, webhook);
  await kubectlOk(['create', 'clusterrolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane']);
  await kubectlOk(['create', 'namespace', 'products-prod']);
  await kubectlOk(['label', 'namespace', 'products-prod', 'netpol-hygiene.io/profile=seed-prod', '--overwrite']);
  await kubectlOk(['create', 'namespace', 'products-stage']);
  await kubectlOk(['create', 'serviceaccount', 'products-db', '-n', 'products-prod']);
  // The reconciler lays the baseline down; pods need it (POD-PROTECTED self-heals it otherwise).
  await waitFor('the baseline of products-prod', 30_000, [], async () => (await kubectlOk(['get', 'networkpolicy', 'default-deny', '-n', 'products-prod', '--ignore-not-found', '-o', 'name'])) !== '');
});

t.teardown(async () => {
  await webhook?.stop();
  await cp?.stop();
});

interface Bypass {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly messages: readonly string[];
}

const bypasses: readonly Bypass[] = [
  {
    name: 'open-db',
    spec: { podSelector: tierDb, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }] },
    messages: [`would allow ingress to tier=db pods from any pod in any namespace on port 8082; ${prodDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'allow-all',
    spec: { podSelector: {}, ingress: [{}], egress: [{}] },
    messages: [
      'would allow ingress to tier=ui pods from anywhere on any port; profile "seed-prod" allows ingress to tier=ui from anywhere only on port 8080; narrow spec.podSelector or spec.ingress[0].ports',
      `would allow egress from tier=ui pods to anywhere on any port; ${prodEgress('tier=ui')}; narrow spec.podSelector or spec.egress[0].to`,
    ],
  },
  {
    name: 'split-internet',
    spec: { podSelector: tierDb, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/1' } }, { ipBlock: { cidr: '128.0.0.0/1' } }] }] },
    messages: [`would allow egress from tier=db pods to addresses in 0.0.0.0/1 on any port; ${prodEgress('tier=db')}; narrow spec.egress[0].to`],
  },
  {
    name: 'ipv6-anywhere',
    spec: { podSelector: tierDb, ingress: [{ from: [{ ipBlock: { cidr: '::/0' } }], ports: [{ port: 8082 }] }] },
    messages: [`would allow ingress to tier=db pods from addresses in ::/0 on port 8082; ${prodDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'tier-notin',
    spec: { podSelector: tierDb, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['ui'] }] } }], ports: [{ port: 8082 }] }] },
    messages: [`would allow ingress to tier=db pods from tier notin (ui) pods in products-prod on port 8082; ${prodDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'port-range',
    spec: { podSelector: tierDb, ingress: [{ from: [fromBusiness], ports: [{ port: 8000, endPort: 9000 }] }] },
    messages: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on ports 8000-9000; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'named-port',
    spec: { podSelector: tierDb, ingress: [{ from: [fromBusiness], ports: [{ port: 'postgres' }] }] },
    messages: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on named port "postgres" (any number); profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'kube-system-by-name',
    spec: { podSelector: tierDb, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['products-prod', 'kube-system'] }] }, podSelector: { matchLabels: { tier: 'business' } } }], ports: [{ port: 8082 }] }] },
    messages: [`would allow ingress to tier=db pods from tier=business pods in kube-system on port 8082; ${prodDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'egress-without-policytypes',
    spec: { podSelector: tierDb, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] },
    messages: [`would allow egress from tier=db pods to addresses in 0.0.0.0/0 except 10.0.0.0/8 on any port; ${prodEgress('tier=db')}; narrow spec.egress[0].to`],
  },
];

t.test('each bypass applied by a developer is refused with the message kubectl prints', async (t) => {
  for (const bypass of bypasses) {
    const result = await cp.kubectl(['apply', '-f', '-'], { input: policy(bypass.name, 'products-prod', bypass.spec), ...jane });
    t.equal(result.stderr, refusedCreate(bypass.messages.map((body) => ceilingMessage(bypass.name, 'products-prod', body)).join('; ')), bypass.name);
    t.equal(result.code, 1, `${bypass.name}: kubectl fails`);
  }
  const names = await kubectlOk(['get', 'networkpolicy', '-n', 'products-prod', '-o', 'jsonpath={.items[*].metadata.name}']);
  t.strictSame(names.split(' ').filter((name) => bypasses.some((b) => b.name === name)), [], 'none of them exists');
  const record = await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && l.kind === 'NetworkPolicy' && l.name === 'open-db' && l.user === 'jane');
  t.match(record, { operation: 'CREATE', decision: 'denied', code: 403, rules: ['NP-CEILING'] }, 'audited');
});

t.test('an empty peer is refused before the webhook: the API server validates it', async (t) => {
  const result = await cp.kubectl(['apply', '-f', '-'], { input: policy('empty-peer', 'products-prod', { podSelector: tierDb, ingress: [{ from: [{}] }] }), ...jane });
  t.equal(result.code, 1);
  t.match(result.stderr, /spec\.ingress\[0\]\.from\[0\]: Required value: must specify a peer/);
});

t.test('policies within the ceiling stay allowed; an UPDATE that widens one is refused', async (t) => {
  const narrow = { podSelector: { matchLabels: { tier: 'db', app: 'orders-db' } }, ingress: [{ from: [fromBusiness, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'products-stage' } }, podSelector: { matchLabels: { tier: 'business' } } }], ports: [{ port: 8082 }] }] };
  const created = await cp.kubectl(['apply', '-f', '-'], { input: policy('orders-db', 'products-prod', narrow), ...jane });
  t.equal(created.stdout, 'networkpolicy.networking.k8s.io/orders-db created\n', created.stderr);
  const egress = await cp.kubectl(['apply', '-f', '-'], { input: policy('ui-to-business', 'products-prod', { podSelector: { matchLabels: { tier: 'ui' } }, policyTypes: ['Egress'], egress: [{ to: [fromBusiness], ports: [{ port: 8081 }] }] }), ...jane });
  t.equal(egress.code, 0, egress.stderr);
  const wide = { ...narrow, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'business' } } }], ports: [{ port: 8082 }] }] };
  const widened = await cp.kubectl(['apply', '-f', '-'], { input: policy('orders-db', 'products-prod', wide), ...jane });
  t.equal(widened.code, 1);
  t.match(
    widened.stderr,
    `admission webhook "${webhookName}" denied the request: ${ceilingMessage('orders-db', 'products-prod', `would allow ingress to tier=db pods from tier=business pods in any namespace on port 8082; ${prodDb}; narrow spec.ingress[0].from`)}\n`,
  );
  t.match(JSON.parse(await kubectlOk(['get', 'networkpolicy', 'orders-db', '-n', 'products-prod', '-o', 'json'])), { spec: { ingress: [{ from: [fromBusiness, {}] }] } }, 'unchanged');
  const relabelled = await cp.kubectl(['label', 'networkpolicy', 'orders-db', '-n', 'products-prod', 'team=orders'], jane);
  t.equal(relabelled.code, 0, 'a metadata-only change is not judged');
});

t.test('warn mode: allowed, and kubectl prints the warning', async (t) => {
  await kubectlOk(['create', 'namespace', 'team-warn']);
  await kubectlOk(['label', 'namespace', 'team-warn', 'netpol-hygiene.io/mode=warn']);
  const spec = { podSelector: tierDb, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }] };
  const result = await cp.kubectl(['apply', '-f', '-'], { input: policy('open-db', 'team-warn', spec), ...jane });
  t.equal(result.code, 0);
  t.equal(result.stdout, 'networkpolicy.networking.k8s.io/open-db created\n');
  t.equal(
    result.stderr,
    `Warning: ${ceilingMessage('open-db', 'team-warn', 'would allow ingress to tier=db pods from any pod in any namespace on port 8082; profile "seed" allows ingress to tier=db only from tier=business in team-warn; narrow spec.ingress[0].from')}\n`,
  );
  const record = await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && l.kind === 'NetworkPolicy' && l.namespace === 'team-warn' && l.name === 'open-db');
  t.match(record, { decision: 'warned', mode: 'warn', rules: ['NP-CEILING'] });
});

t.test("an admin's widening is allowed and audited", async (t) => {
  const spec = { podSelector: tierDb, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }] };
  const result = await cp.kubectl(['apply', '-f', '-'], { input: policy('open-db', 'products-prod', spec) });
  t.equal(result.stdout, 'networkpolicy.networking.k8s.io/open-db created\n', result.stderr);
  const record = await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && l.kind === 'NetworkPolicy' && l.namespace === 'products-prod' && l.name === 'open-db' && l.decision === 'allowed');
  t.match(record, { operation: 'CREATE', user: 'e2e-admin', rules: [] });
  t.strictSame((record as { reasons?: unknown }).reasons, [
    `allowed for admin group system:masters: ${ceilingMessage('open-db', 'products-prod', `would allow ingress to tier=db pods from any pod in any namespace on port 8082; ${prodDb}; narrow spec.ingress[0].from`)}`,
  ]);
});

const entitlementRefusal = (podName: string | RegExp, account: string): RegExp =>
  new RegExp(
    `POD-TIER: pod "${typeof podName === 'string' ? podName : podName.source}" in namespace "products-prod" would carry tier=db \\(from label\\), which its service account "${account}" and images registry\\.example\\.com/products/postgres:16 are not entitled to; ` +
      'tier=db is only for service account products-db in products-prod, or pods with images matching registry\\.example\\.com/products/pgbouncer:\\*; ' +
      'run it as such a pod, carry another tier it is entitled to \\(tier=ui, tier=business\\), or have it entitled in the netpol-hygiene config \\(tierEntitlements\\)',
  );

t.test('tier entitlement: a bare pod', async (t) => {
  const refused = await cp.kubectl(['apply', '-f', '-'], { input: pod('db-0'), ...jane });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /^Error from server \(Forbidden\): error when creating "STDIN": admission webhook "validate-pods\.netpol-hygiene\.io" denied the request: /);
  t.match(refused.stderr, entitlementRefusal('db-0', 'default'));
  const admitted = await cp.kubectl(['apply', '-f', '-'], { input: pod('db-1', 'products-db'), ...jane });
  t.equal(admitted.stdout, 'pod/db-1 created\n', admitted.stderr);
  const relabel = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...JSON.parse(pod('api-0')), metadata: { name: 'api-0', namespace: 'products-prod', labels: { tier: 'business' } } }), ...jane });
  t.equal(relabel.code, 0, relabel.stderr);
  const moved = await cp.kubectl(['label', 'pod', 'api-0', '-n', 'products-prod', 'tier=db', '--overwrite'], jane);
  t.equal(moved.code, 1, 'relabelling into db is refused too');
  t.match(moved.stderr, entitlementRefusal('api-0', 'default'));
});

t.test('tier entitlement by image holds only while the pod runs those images', async (t) => {
  const bouncer = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bouncer-0', namespace: 'products-prod', labels: { tier: 'db' } },
    spec: { containers: [{ name: 'db', image: 'registry.example.com/products/pgbouncer:1.23' }] },
  });
  const admitted = await cp.kubectl(['apply', '-f', '-'], { input: bouncer, ...jane });
  t.equal(admitted.code, 0, admitted.stderr);
  const bumped = await cp.kubectl(['set', 'image', 'pod/bouncer-0', '-n', 'products-prod', 'db=registry.example.com/products/pgbouncer:1.24'], jane);
  t.equal(bumped.code, 0, `an image within the entitlement: ${bumped.stderr}`);
  const swapped = await cp.kubectl(['set', 'image', 'pod/bouncer-0', '-n', 'products-prod', 'db=registry.example.com/products/postgres:16'], jane);
  t.equal(swapped.code, 1, 'swapping in an image the entitlement does not cover is refused');
  t.match(swapped.stderr, /POD-TIER: pod "bouncer-0" in namespace "products-prod" would carry tier=db \(from label\), which its service account "default" and images registry\.example\.com\/products\/postgres:16 are not entitled to/);
  t.equal(await kubectlOk(['get', 'pod', 'bouncer-0', '-n', 'products-prod', '-o', 'jsonpath={.spec.containers[0].image}']), 'registry.example.com/products/pgbouncer:1.24');
  // Debugging rights, as teams often grant them beside edit.
  await kubectlOk(['create', 'clusterrole', 'pod-debugger', '--verb=get,patch,update', '--resource=pods/ephemeralcontainers']);
  await kubectlOk(['create', 'clusterrolebinding', 'jane-debug', '--clusterrole=pod-debugger', '--user=jane']);
  const debug = await cp.kubectl(['debug', 'pod/bouncer-0', '-n', 'products-prod', '--image=docker.io/library/busybox:1.37', '--container=debugger'], jane);
  t.equal(debug.code, 1, 'a debug container with another image is refused');
  t.match(debug.stderr, /POD-TIER: pod "bouncer-0" in namespace "products-prod" would carry tier=db \(from label\), which its service account "default" and images registry\.example\.com\/products\/pgbouncer:1\.24, docker\.io\/library\/busybox:1\.37 are not entitled to/);
  t.equal(await kubectlOk(['get', 'pod', 'bouncer-0', '-n', 'products-prod', '-o', 'jsonpath={.spec.ephemeralContainers}']), '', 'no debug container was added');
});

t.test("tier entitlement: a Deployment's pods", async (t) => {
  await kubectlOk(['apply', '-f', '-'], { input: deployment('orders-db'), ...jane });
  await kubectlOk(['apply', '-f', '-'], { input: deployment('orders-db-entitled', 'products-db'), ...jane });
  let failure = '';
  await waitFor('the ReplicaSet of orders-db to report the refusal', 60_000, [], async () => {
    const sets = JSON.parse(await kubectlOk(['get', 'replicaset', '-n', 'products-prod', '-l', 'app=orders-db', '-o', 'json'])) as { items: { status?: { conditions?: { type: string; message: string }[] } }[] };
    failure = sets.items[0]?.status?.conditions?.find((c) => c.type === 'ReplicaFailure')?.message ?? '';
    return failure !== '';
  });
  t.match(failure, entitlementRefusal(/orders-db-[a-z0-9]+-[a-z0-9]+/, 'default'));
  await waitFor('the pod of orders-db-entitled', 60_000, [], async () => (await kubectlOk(['get', 'pods', '-n', 'products-prod', '-l', 'app=orders-db-entitled', '-o', 'name'])) !== '');
  t.equal(await kubectlOk(['get', 'pods', '-n', 'products-prod', '-l', 'app=orders-db', '-o', 'name']), '', 'no pod for the unentitled Deployment');
  const labels = await kubectlOk(['get', 'pods', '-n', 'products-prod', '-l', 'app=orders-db-entitled', '-o', 'jsonpath={.items[0].spec.serviceAccountName} {.items[0].metadata.labels.tier}']);
  t.equal(labels, 'products-db db');
});

t.test('a policy above the ceiling from before the webhook is reported at backfill, not deleted', async (t) => {
  const message =
    'NP-CEILING: NetworkPolicy "allow-all" in namespace "legacy" would allow ingress to tier=ui pods from anywhere on any port; ' +
    'profile "seed" allows ingress to tier=ui from anywhere only on port 8080; narrow spec.podSelector or spec.ingress[0].ports, or ask a member of system:masters';
  const record = await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && l.action === 'above-ceiling' && l.namespace === 'legacy');
  t.match(record, { event: 'repair', policies: ['allow-all'], trigger: 'start-up backfill', message: `existing policy reported, not changed: ${message}` });
  let events = '';
  await waitFor('the Event about namespace legacy', 10_000, [], async () => {
    events = await kubectlOk(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.name=legacy,reason=NetworkPolicyAboveCeiling', '-o', 'jsonpath={.items[*].message}']);
    return events !== '';
  });
  t.equal(events, message);
  t.equal(await kubectlOk(['get', 'networkpolicy', 'allow-all', '-n', 'legacy', '-o', 'name']), 'networkpolicy.networking.k8s.io/allow-all\n', 'still there');

  // A reviewer reading this webhook's own log sees the report as a report, not as a repair.
  const report = spawnSync(process.execPath, [fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'report', '--namespace', 'legacy', '-o', 'json', webhook.logPath], { encoding: 'utf8' });
  t.equal(report.status, 0, report.stderr);
  const { audit: summary } = JSON.parse(report.stdout) as { audit: { totals: { repairs: number; aboveCeilingReports: number }; repairs: { total: number; shown: { action: string }[] }; aboveCeilingReports: { shown: { namespace: string; policies: string[]; message: string }[] } } };
  t.equal(summary.totals.aboveCeilingReports, 1, 'report: one above-ceiling report for legacy');
  t.match(summary.aboveCeilingReports.shown, [{ namespace: 'legacy', policies: ['allow-all'], message: `existing policy reported, not changed: ${message}` }]);
  t.equal(summary.totals.repairs, summary.repairs.total, 'report: repairs listed as counted');
  t.same(new Set(summary.repairs.shown.map((repair) => repair.action)), new Set(summary.repairs.total === 0 ? [] : ['apply-baseline']), 'report: only baseline repairs are repairs');
});
