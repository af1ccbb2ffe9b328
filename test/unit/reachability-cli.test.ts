/**
 * The reachability, explain and diff commands as a user runs them: real files in a temp
 * directory, the real CLI in a child process, and for --kubeconfig an HTTPS server that answers
 * the three list calls like an API server and records every request.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runCli, tempDir as cliTempDir } from './cli-run.ts';

const run = runCli;

function tempDir(t: Test): string {
  return cliTempDir(t, 'netpol-hygiene-reachability-');
}

const namespacesYaml = `apiVersion: v1
kind: Namespace
metadata:
  name: x
  labels: {team: web}
---
apiVersion: v1
kind: Namespace
metadata:
  name: y
`;

const podsJson = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x', labels: { pod: 'a' } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }] }, status: { podIP: '10.0.1.1' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'x', labels: { pod: 'b' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] }, status: { podIPs: [{ ip: '10.0.1.2' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'y', labels: { pod: 'a' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'migrate-x7k2p', namespace: 'y', labels: { job: 'migrate' } }, spec: { containers: [{ name: 'job', image: 'migrate' }] }, status: { phase: 'Succeeded' } },
  ],
});

const policiesYaml = `# x/a accepts only x/b, on its named port http
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: a-from-b
  namespace: x
spec:
  podSelector:
    matchLabels: {pod: a}
  ingress:
  - from:
    - podSelector:
        matchLabels: {pod: b}
    ports:
    - port: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: skipped
  namespace: x
spec: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-egress
  namespace: y
spec:
  podSelector: {}
  policyTypes: [Egress]
`;

/** Namespaces and policies as multi-document YAML, pods as a JSON List, in a nested directory. */
function writeInput(t: Test): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'pods'));
  writeFileSync(join(dir, 'namespaces.yaml'), namespacesYaml);
  writeFileSync(join(dir, 'pods', 'pods.json'), podsJson);
  writeFileSync(join(dir, 'policies.yml'), policiesYaml);
  writeFileSync(join(dir, 'README.md'), 'not a manifest: skipped by extension');
  return dir;
}

const expectedMatrix = {
  port: 80,
  protocol: 'TCP',
  pods: ['x/a', 'x/b', 'y/a'],
  matrix: {
    'x/a': { 'x/a': false, 'x/b': true, 'y/a': true },
    'x/b': { 'x/a': true, 'x/b': true, 'y/a': true },
    'y/a': { 'x/a': false, 'x/b': false, 'y/a': false },
  },
};

t.test('reachability -o json over a directory of YAML, JSON and a List (a finished pod left out): the exact contract', async (t) => {
  const dir = writeInput(t);
  const result = await run(['reachability', '-f', dir, '-o', 'json']);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout, `${JSON.stringify(expectedMatrix)}\n`);
  const files = await run(['reachability', '-f', join(dir, 'namespaces.yaml'), '-f', join(dir, 'pods', 'pods.json'), '-f', join(dir, 'policies.yml'), '-o', 'json']);
  t.equal(files.stdout, result.stdout, 'the same files named one by one');
  const other = await run(['reachability', '-f', dir, '-o', 'json', '--port', '81']);
  t.same(JSON.parse(other.stdout).matrix['x/b'], { 'x/a': false, 'x/b': true, 'y/a': true }, 'the named port http is 80 only');
  const udp = await run(['reachability', '-f', dir, '-o', 'json', '--protocol', 'UDP']);
  t.same(JSON.parse(udp.stdout).protocol, 'UDP');
  t.same(JSON.parse(udp.stdout).matrix['x/b']['x/a'], false, 'named port http is TCP');
});

t.test('reachability prints a truth table by default', async (t) => {
  const result = await run(['reachability', '-f', writeInput(t)]);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout, ['TCP/80: rows from, columns to; . allowed, X denied', '-   x/a x/b y/a', 'x/a X   .   .', 'x/b .   .   .', 'y/a X   X   X', ''].join('\n'));
});

t.test('manifests from standard input with -f -', async (t) => {
  const result = await run(['reachability', '-f', '-', '-o', 'json'], `${namespacesYaml}---\n${policiesYaml}---\n${podsJson}\n`);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout, `${JSON.stringify(expectedMatrix)}\n`);
});

t.test('explain: the verdict in sentences, pods by name or by IP, addresses outside the cluster', async (t) => {
  const dir = writeInput(t);
  const denied = await run(['explain', '-f', dir, '--from', 'y/a', '--to', 'x/a', '--port', '80']);
  t.equal(denied.status, 0, denied.stderr);
  t.equal(
    denied.stdout,
    [
      'y/a → x/a on TCP/80: denied',
      '',
      'Egress from y/a: denied',
      '  isolated for egress by y/deny-egress',
      '  no egress rule admits x/a on TCP/80:',
      '  - y/deny-egress has no egress rules: it only isolates y/a, it allows nothing',
      '',
      'Ingress to x/a: denied',
      '  isolated for ingress by x/a-from-b',
      '  no ingress rule admits y/a on TCP/80:',
      '  - x/a-from-b ingress rule 0: y/a (pod labels pod=a; namespace labels kubernetes.io/metadata.name=y) is not one of its sources (pods matching pod=b in namespace x)',
      '',
    ].join('\n'),
  );
  const byIp = await run(['explain', '-f', dir, '--from', '10.0.1.2', '--to', '10.0.1.1', '--port', '80', '-o', 'json']);
  const byIpText = await run(['explain', '-f', dir, '--from', '10.0.1.2', '--to', '10.0.1.1', '--port', '80']);
  t.match(byIpText.stdout, /\nAbove the ceiling:\nNetworkPolicy x\/a-from-b admits this connection and allows more than its namespace's profile \(netpol-hygiene would refuse it today\):\n {2}NP-CEILING: /);
  // Without ClusterNetworkPolicies each side is decided by the NetworkPolicy tier or, not isolated, by the default.
  const notIsolated = { outcome: 'allowed', paths: [{ steps: [], decidedBy: 'default', allowed: true }], ambiguities: [] };
  const decidedByNetworkPolicy = { outcome: 'allowed', paths: [{ steps: [], decidedBy: 'NetworkPolicy', allowed: true }], ambiguities: [] };
  const { aboveCeiling, ...verdict } = JSON.parse(byIp.stdout) as { aboveCeiling: { policy: string; messages: string[] }[] };
  // x/a-from-b admits it on a named port, which could be any number: above the default profile's ceiling.
  t.same(aboveCeiling.map((a) => a.policy), ['x/a-from-b'], 'the admitting policy above the ceiling is named');
  t.match(aboveCeiling[0]?.messages[0], /^NP-CEILING: NetworkPolicy "a-from-b" in namespace "x" would allow ingress to /);
  t.same(verdict, {
    from: 'x/b',
    to: 'x/a',
    traffic: { port: 80, protocol: 'TCP' },
    outcome: 'allowed',
    allowed: true,
    egress: { direction: 'egress', pod: 'x/b', isolatedBy: [], allowedBy: [], misses: [], networkPolicyAllows: true, tiers: notIsolated, outcome: 'allowed', allowed: true },
    ingress: { direction: 'ingress', pod: 'x/a', isolatedBy: ['x/a-from-b'], allowedBy: [{ policy: 'x/a-from-b', rule: 0 }], misses: [], networkPolicyAllows: true, tiers: decidedByNetworkPolicy, outcome: 'allowed', allowed: true },
  }, 'a pod IP is that pod');
  const outside = await run(['explain', '-f', dir, '--from', 'x/b', '--to', '2001:db8::1', '--port', '443']);
  t.match(outside.stdout, /^x\/b → 2001:db8::1 on TCP\/443: allowed\n/);
  t.match(outside.stdout, /Ingress to 2001:db8::1: allowed: 2001:db8::1 is outside the cluster, no NetworkPolicy applies to it\./);
});

t.test('diff: connections added and removed, over every port run, as text and JSON', async (t) => {
  const dir = writeInput(t);
  const after = join(tempDir(t), 'after.yaml');
  writeFileSync(after, policiesYaml.replace('    - port: http', '    - port: 8000\n      endPort: 9000'));
  const text = await run(['diff', '-f', dir, '--after', dir, '--after', after, '--protocol', 'TCP']);
  // after.yaml comes last and redefines x/a-from-b: the later object wins, as with kubectl apply.
  t.equal(text.status, 0, text.stderr);
  t.equal(text.stdout, '+ x/b → x/a TCP 8000-9000\n- x/b → x/a TCP 80\n');
  const json = await run(['diff', '-f', dir, '--after', after, '-o', 'json']);
  t.equal(json.stdout, `${JSON.stringify({ added: [{ from: 'x/b', to: 'x/a', protocol: 'TCP', ports: [[8000, 9000]] }], removed: [{ from: 'x/b', to: 'x/a', protocol: 'TCP', ports: [[80, 80]] }] })}\n`, 'an AFTER of policies only is judged over the BEFORE pods');
  const none = await run(['diff', '-f', dir, '--after', dir, '--port', '80']);
  t.equal(none.stdout, 'no connection between pods changes\n');
  const dropped = join(tempDir(t), 'no-egress-deny.yaml');
  writeFileSync(dropped, policiesYaml.split('---\n')[0] as string);
  const opened = await run(['diff', '-f', dir, '--after', dropped, '--protocol', 'UDP']);
  t.equal(opened.stdout, '+ y/a → x/b UDP all ports\n+ y/a → y/a UDP all ports\n', 'dropping the egress deny opens y/a; x/a still accepts only TCP http');
});

t.test('bad input: exit 2 and a message naming what is wrong', async (t) => {
  const dir = tempDir(t);
  const badYaml = join(dir, 'bad.yaml');
  writeFileSync(badYaml, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   labels: {x: 1}\n');
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{\n  "kind": "Pod",\n  "metadata": {"name": "a",}\n}\n');
  const badPolicy = join(dir, 'policy.yaml');
  writeFileSync(badPolicy, 'kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n');
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'kind: Pod\nmetadata: {name: a, namespace: x}\n');
  const cases: { name: string; args: string[]; stderr: string }[] = [
    { name: 'invalid YAML names file and line', args: ['reachability', '-f', badYaml], stderr: `netpol-hygiene reachability: ${badYaml}:4: invalid YAML: Nested mappings are not allowed in compact mappings\n` },
    { name: 'invalid JSON names file and line', args: ['reachability', '-f', badJson], stderr: `netpol-hygiene reachability: ${badJson}:3: invalid JSON: Expected double-quoted property name in JSON at position 46\n` },
    { name: 'a missing file', args: ['reachability', '-f', join(dir, 'missing.yaml')], stderr: `netpol-hygiene reachability: ${join(dir, 'missing.yaml')}: no such file or directory\n` },
    { name: 'a policy the API server would refuse', args: ['reachability', '-f', badPolicy], stderr: `netpol-hygiene reachability: invalid NetworkPolicy ${badPolicy}: x/p: spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0/33" is not a CIDR\n` },
    { name: 'a pod not in the input', args: ['explain', '-f', good, '--from', 'x/nope', '--to', 'x/a', '--port', '80'], stderr: 'netpol-hygiene explain: --from x/nope: no such pod in the input (pods: x/a)\n' },
    { name: 'a pod without namespace', args: ['explain', '-f', good, '--from', 'a', '--to', 'x/a', '--port', '80'], stderr: 'netpol-hygiene explain: --from a: give NAMESPACE/POD or an IP address\n' },
    { name: 'explain without --port', args: ['explain', '-f', good, '--from', 'x/a', '--to', 'x/a'], stderr: 'netpol-hygiene explain: --port N is required\n' },
    { name: 'explain without --to', args: ['explain', '-f', good, '--from', 'x/a', '--port', '80'], stderr: 'netpol-hygiene explain: --from and --to are required (NAMESPACE/POD or an IP address)\n' },
    { name: 'a port out of range', args: ['reachability', '-f', good, '--port', '70000'], stderr: 'netpol-hygiene reachability: --port 70000: not a port number (1-65535)\n' },
    { name: 'an unknown protocol', args: ['reachability', '-f', good, '--protocol', 'ICMP'], stderr: 'netpol-hygiene reachability: --protocol ICMP: not one of TCP, UDP, SCTP\n' },
    { name: 'an unknown output', args: ['reachability', '-f', good, '-o', 'yaml'], stderr: 'netpol-hygiene reachability: -o yaml: not one of table, json\n' },
    { name: 'diff without --after', args: ['diff', '-f', good], stderr: 'netpol-hygiene diff: --after PATH... is required\n' },
    { name: 'files and a cluster at once', args: ['reachability', '-f', good, '--kubeconfig', good], stderr: 'netpol-hygiene reachability: give either -f PATH... or --kubeconfig FILE, not both\n' },
  ];
  for (const c of cases) {
    const result = await run(c.args);
    t.equal(result.status, 2, `${c.name}: exit 2`);
    t.equal(result.stderr, c.stderr, c.name);
    t.equal(result.stdout, '', `${c.name}: nothing on stdout`);
  }
});

t.test('--kubeconfig reads namespaces, pods and policies with GET only, following pages', async (t) => {
  const dir = tempDir(t);
  t.equal((await run(['certs', '--out-dir', dir, '--ip', '127.0.0.1'])).status, 0);
  const pods = JSON.parse(podsJson).items as Record<string, unknown>[];
  const policies = policiesYaml.split('---\n').filter((d) => d.includes('NetworkPolicy'));
  const { parse } = await import('yaml');
  const lists: Record<string, Record<string, unknown>[][]> = {
    '/api/v1/namespaces': [[{ metadata: { name: 'x', labels: { team: 'web' } } }, { metadata: { name: 'y' } }]],
    '/api/v1/pods': [pods.slice(0, 2), pods.slice(2)],
    '/apis/networking.k8s.io/v1/networkpolicies': [policies.map((p) => parse(p) as Record<string, unknown>)],
  };
  const requests: string[] = [];
  const server = https.createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    requests.push(`${request.method} ${url.pathname}${url.search} ${request.headers.authorization ?? ''}`);
    const pages = lists[url.pathname];
    const page = Number(url.searchParams.get('continue') ?? '0');
    if (pages === undefined || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    const next = page + 1 < pages.length ? String(page + 1) : undefined;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'List', items: (pages[page] ?? []).map(({ kind: _kind, apiVersion: _v, ...item }) => item), metadata: next === undefined ? {} : { continue: next } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, 'certificate-authority': join(dir, 'ca.crt') } }],
    users: [{ name: 'u', user: { token: 'reader' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  const result = await run(['reachability', '--kubeconfig', kubeconfig, '-o', 'json']);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout, `${JSON.stringify(expectedMatrix)}\n`);
  t.same(requests, [
    'GET /api/v1/namespaces?limit=500 Bearer reader',
    'GET /api/v1/pods?limit=500 Bearer reader',
    'GET /api/v1/pods?limit=500&continue=1 Bearer reader',
    'GET /apis/networking.k8s.io/v1/networkpolicies?limit=500 Bearer reader',
    // The ClusterNetworkPolicy CRD is not installed (404): no error, no ClusterNetworkPolicies.
    'GET /apis/policy.networking.k8s.io Bearer reader',
  ]);
});
