/**
 * ClusterNetworkPolicies read from a live cluster, as the CLI does: an HTTPS server that answers
 * like an API server serving the CRD in v1alpha2 only (network-policy-api v0.2.x), records every
 * request, and serves Nodes for a `nodes` peer. Then what report --cluster makes of them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { clusterPolicyPostures } from '../../src/report/posture-cluster-policies.ts';
import { postureSections } from '../../src/report/render-posture-text.ts';
import type { ClusterPosture } from '../../src/report/model.ts';
import { runCli, tempDir } from './cli-run.ts';

const clusterPolicy = {
  metadata: { name: 'no-ssh-to-nodes' },
  spec: {
    tier: 'Admin', priority: 5, subject: { namespaces: {} },
    egress: [{ name: 'ssh', action: 'Deny', to: [{ nodes: { matchLabels: { 'node-role.kubernetes.io/worker': '' } } }], protocols: [{ tcp: { destinationPort: { number: 22 } } }] }],
  },
};

const lists: Record<string, unknown[]> = {
  '/api/v1/namespaces': [{ metadata: { name: 'x' } }],
  '/api/v1/pods': [{ metadata: { name: 'a', namespace: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] }, status: { podIP: '10.0.1.1' } }],
  '/apis/networking.k8s.io/v1/networkpolicies': [],
  '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies': [clusterPolicy],
  '/api/v1/nodes': [{ metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/worker': '' } }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.10' }] } }],
};

t.test('--kubeconfig: the group is discovered, its served version listed, and Nodes too for a nodes peer', async (t) => {
  const dir = tempDir(t, 'netpol-hygiene-cnp-cluster-');
  t.equal((await runCli(['certs', '--out-dir', dir, '--ip', '127.0.0.1'])).status, 0);
  const requests: string[] = [];
  const server = https.createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname === '/apis/policy.networking.k8s.io') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'APIGroup', name: 'policy.networking.k8s.io', versions: [{ version: 'v1alpha2' }], preferredVersion: { version: 'v1alpha2' } }));
      return;
    }
    const items = lists[url.pathname];
    if (items === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'List', items, metadata: {} }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, 'certificate-authority': join(dir, 'ca.crt') } }],
    users: [{ name: 'u', user: { token: 'reader' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  const result = await runCli(['explain', '--kubeconfig', kubeconfig, '--from', 'x/a', '--to', '192.168.0.10', '--port', '22']);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout.split('\n').slice(0, 4).join('\n'), [
    'x/a → 192.168.0.10 on TCP/22: denied',
    '',
    'Egress from x/a: denied',
    '  Admin tier: ClusterNetworkPolicy no-ssh-to-nodes (priority 5) egress rule 0 "ssh" applies: Deny: final',
  ].join('\n'));
  t.same(requests, [
    'GET /api/v1/namespaces',
    'GET /api/v1/pods',
    'GET /apis/networking.k8s.io/v1/networkpolicies',
    'GET /apis/policy.networking.k8s.io',
    'GET /apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies',
    'GET /api/v1/nodes',
  ]);
});

t.test('report --cluster: policies in evaluation order, the governed namespaces their subject reaches, an unreadable one with why', async (t) => {
  const governed = [{ name: 'shop', labels: { team: 'shop' } }, { name: 'blog', labels: { team: 'blog' } }];
  const policies = clusterPolicyPostures([
    { metadata: { name: 'z-baseline' }, spec: { tier: 'Baseline', priority: 1, subject: { namespaces: {} } } },
    { metadata: { name: 'b-admin' }, spec: { tier: 'Admin', priority: 20, subject: { pods: { namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: {} } } } },
    { metadata: { name: 'a-admin' }, spec: { tier: 'Admin', priority: 20, subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'nowhere' } } } } },
    { metadata: { name: 'future' }, spec: { tier: 'Admin', priority: 1, subject: { serviceAccounts: {} } as never } },
  ], governed);
  t.strictSame(policies, [
    { name: 'future', tier: 'Admin', priority: 1, namespaces: [], unreadable: 'future: spec.subject: needs exactly one of namespaces, pods' },
    { name: 'a-admin', tier: 'Admin', priority: 20, namespaces: [] },
    { name: 'b-admin', tier: 'Admin', priority: 20, namespaces: ['shop'] },
    { name: 'z-baseline', tier: 'Baseline', priority: 1, namespaces: ['shop', 'blog'] },
  ]);
  const posture: ClusterPosture = {
    server: 'https://k',
    totals: { namespaces: 0, complete: 0, exempt: 0, missingPolicies: 0, editedPolicies: 0, foreignPolicies: 0, aboveCeiling: 0, podsWithoutValidTier: 0, pods: 0, unmanagedPolicies: 0 },
    namespaces: [], exempt: [], terminating: [], clusterPolicies: policies,
  };
  t.equal(postureSections(posture)[1], [
    'ClusterNetworkPolicies: 4 (Admin decides before NetworkPolicies, Baseline after them)',
    'TIER      PRIORITY  NAME        GOVERNED NAMESPACES IN SUBJECT',
    'Admin            1  future      unreadable: future: spec.subject: needs exactly one of namespaces, pods',
    'Admin           20  a-admin     none',
    'Admin           20  b-admin     shop',
    'Baseline         1  z-baseline  shop, blog',
  ].join('\n'));
  t.equal(postureSections({ ...posture, clusterPolicies: [] }).length, 3, 'none served: no section (-o json says [])');
});
