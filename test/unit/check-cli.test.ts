/**
 * `check` as a CI job runs it: real files in a temp directory, the real CLI in a child process,
 * the webhook's own handler deciding. Messages are compared with the exact strings the webhook
 * gives (test/e2e/admission.test.ts, test/unit/*-rules.test.ts); --kubeconfig against an HTTPS
 * server that answers the three list calls like an API server and records every request.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { type CliResult, runCli, tempDir as cliTempDir } from './cli-run.ts';
import { parseAllDocuments } from 'yaml';

// Some twenty CLI runs, each a Node start-up: on a busy 2-core machine that can pass tap's 30 s default.
t.setTimeout(120_000);

const run = runCli;

function tempDir(t: Test): string {
  return cliTempDir(t, 'netpol-hygiene-check-');
}

function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// The webhook's messages, as test/e2e/admission.test.ts and test/unit/*-rules.test.ts have them.
const noTier = (pod: string, namespace: string): string =>
  `POD-TIER: pod "${pod}" in namespace "${namespace}" has no "tier" label and no rule matched; set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace`;
const unprotected = (pod: string, namespace: string): string =>
  `POD-PROTECTED: namespace "${namespace}" has no effective default-deny NetworkPolicy for ingress and egress, so pod "${pod}" would run unprotected; apply the baseline: netpol-hygiene render --namespace ${namespace} --profile seed | kubectl apply -f -`;
const adminOnly = (keys: string, namespace: string, user: string): string =>
  `NS-LABELS: changing ${keys} on namespace "${namespace}" requires membership in an admin group (system:masters); user "${user}" is not in one`;
const guarded = (policy: string, namespace: string, action: string, user: string): string =>
  `NP-GUARD: NetworkPolicy "${policy}" in namespace "${namespace}" is part of the netpol-hygiene baseline (profile "seed"); user "${user}" may not ${action} it; change the profile in the netpol-hygiene config, or ask a member of system:masters`;
const baselineNote = 'note: netpol-hygiene would then apply its baseline: default-deny, allow-dns, allow-cluster-egress, allow-ingress-to-ui, allow-ui-to-business, allow-business-to-db';

/** A pod template: `labels` as given, one container serving `port`. */
function template(labels: Record<string, string>, port = 9000): string {
  return `    metadata:\n      labels: ${JSON.stringify(labels)}\n    spec:\n      containers: [{name: app, image: "registry.example.com/app:1", ports: [{containerPort: ${port}}]}]\n`;
}

function workload(apiVersion: string, kind: string, name: string, podTemplate: string): string {
  const body = kind === 'CronJob' ? `  schedule: "0 * * * *"\n  jobTemplate:\n    spec:\n      template:\n${podTemplate.replace(/^(?=.)/gm, '    ')}` : `  template:\n${podTemplate}`;
  return `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}, namespace: apps}\nspec:\n${body}`;
}

const workloadKinds = [
  { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', pod: 'web-*' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cache', pod: 'cache-*' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', pod: 'db-0' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', pod: 'agent-*' },
  { apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', pod: 'migrate-*' },
  { apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', pod: 'report-*' },
] as const;

t.test('each workload kind: its pod template is checked as the pod its controller creates', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'workloads.yaml', workloadKinds.map((w) => workload(w.apiVersion, w.kind, w.name, template({ app: w.name }))).join('---\n'));
  const result = await run(['check', '-f', file]);
  t.equal(result.status, 1, 'a denial fails the check');
  t.equal(
    result.stdout,
    [
      ...workloadKinds.flatMap((w) => [`denied   ${w.kind} apps/${w.name} (pod template)  ${file}`, `         ${noTier(w.pod, 'apps')}`]),
      '6 checked: 6 denied, 0 warned, 0 patched, 0 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  t.equal(result.stderr, '');
});

t.test('the injected tier and its source: a tier rule by port, the pod\'s own label, the tier annotation', async (t) => {
  const dir = tempDir(t);
  const config = write(dir, 'config.yaml', 'tierRules:\n  - { name: port-8080, tier: ui, match: { ports: [8080] } }\n');
  const manifests = [
    ...workloadKinds.map((w) => workload(w.apiVersion, w.kind, w.name, template({ app: w.name }, 8080))),
    workload('apps/v1', 'Deployment', 'api', template({ app: 'api', tier: 'business' })),
    'apiVersion: v1\nkind: Pod\nmetadata: {name: store, namespace: apps, annotations: {netpol-hygiene.io/tier: db}}\nspec:\n  containers: [{name: db, image: postgres}]\n',
  ];
  const file = write(dir, 'workloads.yaml', manifests.join('---\n'));
  const result = await run(['check', '-f', file, '--config', config]);
  t.equal(result.status, 0, result.stderr);
  t.equal(
    result.stdout,
    [
      ...workloadKinds.flatMap((w) => [`patched  ${w.kind} apps/${w.name} (pod template)  ${file}`, '         tier=ui from rule:port-8080']),
      `allowed  Deployment apps/api (pod template)  ${file}`,
      '         tier=business from label',
      `patched  Pod apps/store  ${file}`,
      '         tier=db from annotation',
      '8 checked: 0 denied, 0 warned, 7 patched, 1 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await run(['check', '-f', file, '--config', config, '-o', 'json'])).stdout);
  t.same(json.results[0].tier, { value: 'ui', source: 'rule:port-8080' });
  t.same(json.results[0].patch, [
    { op: 'add', path: '/metadata/labels/tier', value: 'ui' },
    { op: 'add', path: '/metadata/annotations', value: { 'netpol-hygiene.io/tier-source': 'rule:port-8080' } },
  ]);
  t.same(json.results[6].tier, { value: 'business', source: 'label' });
  t.same(json.results[7].tier, { value: 'db', source: 'annotation' });
});

t.test('NP-CEILING: a policy that opens a namespace beyond its profile, as the webhook words it', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'allow-all.yaml', 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-all, namespace: legacy}\nspec: {podSelector: {}, ingress: [{}]}\n');
  const result = await run(['check', '-f', file]);
  t.equal(result.status, 1);
  t.equal(
    result.stdout,
    [
      `denied   NetworkPolicy legacy/allow-all  ${file}`,
      // test/e2e/ceiling.test.ts
      '         NP-CEILING: NetworkPolicy "allow-all" in namespace "legacy" would allow ingress to tier=ui pods from anywhere on any port; ' +
        'profile "seed" allows ingress to tier=ui from anywhere only on port 8080; narrow spec.podSelector or spec.ingress[0].ports, or ask a member of system:masters',
      '1 checked: 1 denied, 0 warned, 0 patched, 0 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  const admin = await run(['check', '-f', file, '--as', 'alice', '--as-group', 'system:masters']);
  t.equal(admin.status, 0, 'an admin may widen');
  t.match(admin.stdout, `allowed  NetworkPolicy legacy/allow-all  ${file}\n`);
});

const appYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata: {name: bare, namespace: shop}
spec:
  containers: [{name: app, image: busybox}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
`;

const appJson = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ui', namespace: 'shop' }, spec: { template: { metadata: { labels: { tier: 'ui' } }, spec: { containers: [{ name: 'ui', image: 'nginx' }] } } } }],
});

t.test('input forms: multi-document YAML, a JSON List, a directory (recursively, by extension), standard input', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'more'));
  const yamlFile = write(dir, 'app.yaml', appYaml);
  const jsonFile = write(join(dir, 'more'), 'ui.json', appJson);
  write(dir, 'README.md', 'not a manifest: skipped by extension');
  const expected = (yamlSource: string, jsonSource: string): string =>
    [
      `patched  Namespace shop  ${yamlSource}`,
      '         netpol-hygiene.io/profile=seed (the default profile)',
      `         ${baselineNote}`,
      `denied   Pod shop/bare  ${yamlSource}`,
      `         ${noTier('bare', 'shop')}`,
      `allowed  Deployment shop/ui (pod template)  ${jsonSource}`,
      '         tier=ui from label',
      '3 checked: 1 denied, 0 warned, 1 patched, 1 allowed, 0 exempt; 1 skipped (kinds netpol-hygiene does not review: Service)',
      '',
    ].join('\n');
  const files = await run(['check', '-f', yamlFile, '-f', jsonFile]);
  t.equal(files.status, 1);
  t.equal(files.stdout, expected(yamlFile, jsonFile), 'files one by one');
  const directory = await run(['check', '-f', dir]);
  t.equal(directory.stdout, expected(yamlFile, jsonFile), 'a directory');
  const stdin = await run(['check', '-f', '-', '-f', jsonFile], appYaml);
  t.equal(stdin.stdout, expected('<stdin>', jsonFile), 'standard input');
});

t.test('namespaces and NetworkPolicies, as a developer and as an admin', async (t) => {
  const dir = tempDir(t);
  const file = write(
    dir,
    'platform.yaml',
    `apiVersion: v1
kind: Namespace
metadata: {name: optout, labels: {netpol-hygiene.io/profile: none}}
---
apiVersion: v1
kind: Namespace
metadata: {name: relaxed, labels: {netpol-hygiene.io/mode: warn}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: relaxed}
spec: {podSelector: {}, policyTypes: [Ingress]}
`,
  );
  const developer = await run(['check', '-f', file]);
  t.equal(developer.status, 1);
  t.equal(
    developer.stdout,
    [
      `denied   Namespace optout  ${file}`,
      '         NS-DEFAULT-DENY: namespace "optout" sets netpol-hygiene.io/profile=none, which opts out of the default-deny baseline; remove the label or set it to one of: seed, seed-prod; only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)',
      `denied   Namespace relaxed  ${file}`,
      `         ${adminOnly('netpol-hygiene.io/mode', 'relaxed', 'developer')}`,
      // The namespace was refused, so the API server has nowhere to put the policy.
      `denied   NetworkPolicy relaxed/default-deny  ${file}`,
      '         namespaces "relaxed" not found',
      '3 checked: 3 denied, 0 warned, 0 patched, 0 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  const admin = await run(['check', '-f', file, '--as', 'alice', '--as-group', 'system:masters']);
  t.equal(admin.status, 1, 'opting out is refused for admins too');
  t.equal(
    admin.stdout,
    [
      `denied   Namespace optout  ${file}`,
      '         NS-DEFAULT-DENY: namespace "optout" sets netpol-hygiene.io/profile=none, which opts out of the default-deny baseline; remove the label or set it to one of: seed, seed-prod; only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)',
      `patched  Namespace relaxed  ${file}`,
      '         netpol-hygiene.io/profile=seed (the default profile)',
      `         ${baselineNote}`,
      // The webhook's reconciler made the namespace's default-deny: the input's replaces it.
      `allowed  NetworkPolicy relaxed/default-deny (update)  ${file}`,
      '3 checked: 1 denied, 0 warned, 1 patched, 1 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  const jane = await run(['check', '-f', file, '--as', 'jane', '--as-group', 'developers']);
  t.match(jane.stdout, `         ${adminOnly('netpol-hygiene.io/mode', 'relaxed', 'jane')}\n`, '--as names the user in the message');
});

/** The baseline `render` gives a namespace, as the cluster would hold it. */
async function baseline(namespace: string): Promise<string> {
  const rendered = await run(['render', '--namespace', namespace]);
  return rendered.stdout;
}

t.test('--state: the cluster as given: modes, missing namespaces, a missing baseline, updates of what exists', async (t) => {
  const dir = tempDir(t);
  const state = write(
    dir,
    'state.yaml',
    [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-warn, labels: {netpol-hygiene.io/profile: seed, netpol-hygiene.io/mode: warn}}\n',
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b, labels: {netpol-hygiene.io/profile: seed}}\n',
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: bare}\n',
      await baseline('team-warn'),
      await baseline('team-b'),
    ].join('---\n'),
  );
  const pod = (name: string, namespace: string, labels = '{}'): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${namespace}, labels: ${labels}}\nspec:\n  containers: [{name: app, image: busybox}]\n`;
  const file = write(
    dir,
    'deploy.yaml',
    [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b, labels: {netpol-hygiene.io/profile: seed-prod}}\n',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: team-b, labels: {app.kubernetes.io/managed-by: netpol-hygiene}}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n',
      pod('unlabelled', 'team-warn'),
      pod('api', 'bare', '{tier: business}'),
      pod('api', 'absent', '{tier: business}'),
      pod('api', 'team-b', '{tier: business}'),
    ].join('---\n'),
  );
  const result = await run(['check', '-f', file, '--state', state, '--as', 'jane']);
  t.equal(result.status, 1);
  t.equal(
    result.stdout,
    [
      `denied   Namespace team-b (update)  ${file}`,
      `         ${adminOnly('netpol-hygiene.io/profile', 'team-b', 'jane')}`,
      `denied   NetworkPolicy team-b/default-deny (update)  ${file}`,
      `         ${guarded('default-deny', 'team-b', 'change', 'jane')}`,
      `warned   Pod team-warn/unlabelled  ${file}`,
      `         Warning: ${noTier('unlabelled', 'team-warn')}`,
      `denied   Pod bare/api  ${file}`,
      `         ${unprotected('api', 'bare')}`,
      '         note: netpol-hygiene would first apply the baseline of namespace "bare" itself and admit the pod if that succeeds; apply it before deploying, or give it in --state',
      `denied   Pod absent/api  ${file}`,
      '         namespaces "absent" not found',
      `allowed  Pod team-b/api  ${file}`,
      '         tier=business from label',
      '6 checked: 4 denied, 1 warned, 0 patched, 1 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await run(['check', '-f', file, '--state', state, '--as', 'jane', '-o', 'json'])).stdout);
  t.same(json.summary, { checked: 6, denied: 4, warned: 1, patched: 0, allowed: 1, exempt: 0, skipped: 0 });
  t.same(json.results[2], {
    source: file,
    origin: { kind: 'Pod', namespace: 'team-warn', name: 'unlabelled' },
    reviewed: 'Pod',
    operation: 'CREATE',
    verdict: 'warned',
    rules: ['POD-TIER'],
    messages: [noTier('unlabelled', 'team-warn')],
    reasons: [],
    notes: [],
  });
  t.same(json.skipped, []);
});

t.test('exempt namespaces are exempt, with the reason', async (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'system.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: kube-system}\nspec:\n  containers: [{name: app, image: busybox}]\n');
  const result = await run(['check', '-f', file]);
  t.equal(result.status, 0);
  t.equal(result.stdout, [`exempt   Pod kube-system/debug  ${file}`, '         namespace "kube-system" is exempt', '1 checked: 0 denied, 0 warned, 0 patched, 0 allowed, 1 exempt', ''].join('\n'));
});

t.test('--kubeconfig reads namespaces, pods and policies with GET only and decides against them', async (t) => {
  const dir = tempDir(t);
  t.equal((await run(['certs', '--out-dir', dir, '--ip', '127.0.0.1'])).status, 0);
  const policies = parseAllDocuments(await baseline('live')).map((document) => document.toJS() as Record<string, unknown>);
  const lists: Record<string, Record<string, unknown>[]> = {
    '/api/v1/namespaces': [{ metadata: { name: 'live', labels: { 'netpol-hygiene.io/profile': 'seed', 'netpol-hygiene.io/mode': 'warn' } } }],
    '/api/v1/pods': [{ metadata: { name: 'api', namespace: 'live', labels: { tier: 'business' } }, spec: { containers: [{ name: 'api', image: 'api' }] } }],
    '/apis/networking.k8s.io/v1/networkpolicies': policies,
  };
  const requests: string[] = [];
  const server = https.createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const items = lists[url.pathname];
    if (items === undefined || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'List', items: items.map(({ kind: _kind, apiVersion: _v, ...item }) => item), metadata: {} }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const kubeconfig = write(
    dir,
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, 'certificate-authority': join(dir, 'ca.crt') } }],
      users: [{ name: 'u', user: { token: 'reader' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    }),
  );
  const file = write(
    dir,
    'pods.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: live, labels: {}}\nspec:\n  containers: [{name: api, image: api}]\n---\n' +
      'apiVersion: v1\nkind: Pod\nmetadata: {name: new, namespace: live}\nspec:\n  containers: [{name: app, image: busybox}]\n',
  );
  const result = await run(['check', '-f', file, '--kubeconfig', kubeconfig]);
  t.equal(result.status, 0, result.stderr);
  t.equal(
    result.stdout,
    [
      `warned   Pod live/api (update)  ${file}`,
      '         Warning: POD-TIER: pod "api" in namespace "live" would lose its "tier" label (tier=business); admitted pods keep one of ui, business, db',
      `warned   Pod live/new  ${file}`,
      `         Warning: ${noTier('new', 'live')}`,
      '2 checked: 0 denied, 2 warned, 0 patched, 0 allowed, 0 exempt',
      '',
    ].join('\n'),
  );
  // The ClusterNetworkPolicy group is asked for too; this API server does not serve it (404), which is no error.
  t.same(requests, ['GET /api/v1/namespaces?limit=500', 'GET /api/v1/pods?limit=500', 'GET /apis/networking.k8s.io/v1/networkpolicies?limit=500', 'GET /apis/policy.networking.k8s.io'], 'reads only');
});

t.test('bad input: exit 2 and a message naming what is wrong', async (t) => {
  const dir = tempDir(t);
  const good = write(dir, 'good.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
  const badYaml = write(dir, 'bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   labels: {x: 1}\n');
  const noKind = write(dir, 'no-kind.yaml', 'apiVersion: v1\nmetadata: {name: a}\n');
  const noName = write(dir, 'no-name.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {namespace: a}\n');
  const noTemplate = write(dir, 'no-template.yaml', 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: a}\nspec: {schedule: "@daily"}\n');
  const scalar = write(dir, 'scalar.yaml', 'just a string\n');
  const badConfig = write(dir, 'config.yaml', 'mode: strict\n');
  const cases: { name: string; args: string[]; stderr: string }[] = [
    { name: 'no -f', args: ['check'], stderr: 'netpol-hygiene check: -f PATH... is required: the manifests to check\n' },
    { name: 'state and cluster at once', args: ['check', '-f', good, '--state', good, '--kubeconfig', good], stderr: 'netpol-hygiene check: give either --state PATH... or --kubeconfig FILE, not both\n' },
    { name: 'invalid YAML names file and line', args: ['check', '-f', badYaml], stderr: `netpol-hygiene check: ${badYaml}:4: invalid YAML: Nested mappings are not allowed in compact mappings\n` },
    { name: 'invalid YAML in the state', args: ['check', '-f', good, '--state', badYaml], stderr: `netpol-hygiene check: ${badYaml}:4: invalid YAML: Nested mappings are not allowed in compact mappings\n` },
    { name: 'a missing file', args: ['check', '-f', join(dir, 'missing.yaml')], stderr: `netpol-hygiene check: ${join(dir, 'missing.yaml')}: no such file or directory\n` },
    { name: 'an object without kind', args: ['check', '-f', noKind], stderr: `netpol-hygiene check: ${noKind}: an object has no kind\n` },
    { name: 'an object without name', args: ['check', '-f', noName], stderr: `netpol-hygiene check: ${noName}: a Pod has no metadata.name\n` },
    { name: 'a workload without pod template', args: ['check', '-f', noTemplate], stderr: `netpol-hygiene check: ${noTemplate}: CronJob a/nightly has no pod template (spec.jobTemplate.spec.template.spec)\n` },
    { name: 'a document that is not an object', args: ['check', '-f', scalar], stderr: `netpol-hygiene check: ${scalar}: a document is not an object\n` },
    { name: 'an unknown output', args: ['check', '-f', good, '-o', 'yaml'], stderr: 'netpol-hygiene check: -o yaml: not one of text, json\n' },
    { name: 'a group without a user', args: ['check', '-f', good, '--as-group', 'system:masters'], stderr: 'netpol-hygiene check: --as-group needs --as USER\n' },
    { name: 'an unknown option', args: ['check', '-f', good, '--dry-run'], stderr: "netpol-hygiene check: Unknown option '--dry-run'\n" },
  ];
  const results = await Promise.all(cases.map((c) => run(c.args)));
  for (const [i, c] of cases.entries()) {
    const result = results[i] as CliResult;
    t.equal(result.status, 2, `${c.name}: exit 2`);
    t.equal(result.stderr, c.stderr, c.name);
    t.equal(result.stdout, '', `${c.name}: nothing on stdout`);
  }
  const config = await run(['check', '-f', good, '--config', badConfig]);
  t.equal(config.status, 2, 'an invalid config: exit 2');
  t.match(config.stderr, `netpol-hygiene check: invalid config ${badConfig}:\n  - /mode: must be one of enforce, warn, audit\n`);
});
