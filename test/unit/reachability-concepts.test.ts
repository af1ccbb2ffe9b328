/**
 * Every example of the Kubernetes NetworkPolicy concept page
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/), plus the
 * semantic points the page and the API reference state: traffic from and to addresses outside
 * the cluster, empty and absent rule lists, and policies the API server would refuse.
 */
import t, { type Test } from 'tap';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { describeVerdict } from '../../src/reachability/describe.ts';
import { parsePolicy } from '../../src/reachability/policy.ts';
import { evaluate } from '../../src/reachability/verdict.ts';
import { buildWorld, type World } from '../../src/reachability/world.ts';
import { allowed, endpoint, pod, policy } from './reachability-fixtures.ts';

interface Check {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly allowed: boolean;
}

function conceptWorld(policies: NetworkPolicy[]): World {
  return buildWorld({
    namespaces: [{ name: 'default', labels: {} }, { name: 'myproject', labels: { project: 'myproject' } }, { name: 'other', labels: { user: 'alice' } }],
    pods: [
      pod('default/db', { role: 'db' }, { ips: ['10.244.0.10'] }),
      pod('default/frontend', { role: 'frontend' }, { ips: ['10.244.0.11'] }),
      pod('default/client', { role: 'client' }, { ips: ['10.244.0.12'] }),
      pod('myproject/anything', { app: 'x' }, { ips: ['10.244.1.10'] }),
      pod('other/frontend', { role: 'frontend' }, { ips: ['10.244.2.10'] }),
      pod('other/client', { role: 'client' }, { ips: ['10.244.2.11'] }),
    ],
    policies,
  });
}

function checkAll(t: Test, world: World, checks: readonly Check[]): void {
  for (const c of checks) t.equal(allowed(world, c.from, c.to, c.port, c.protocol ?? 'TCP'), c.allowed, `${c.from} -> ${c.to} ${c.protocol ?? 'TCP'}/${c.port}: ${c.allowed ? 'allowed' : 'denied'}`);
}

const testNetworkPolicy = policy('default/test-network-policy', {
  podSelector: { matchLabels: { role: 'db' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [{
    from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }],
    ports: [{ protocol: 'TCP', port: 6379 }],
  }],
  egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
});

const cases: { name: string; policies: NetworkPolicy[]; checks: Check[] }[] = [
  {
    name: 'test-network-policy: ingress to role=db on TCP 6379 from the ipBlock, namespace project=myproject, or role=frontend in default; egress to 10.0.0.0/24 on 5978',
    policies: [testNetworkPolicy],
    checks: [
      { from: 'default/frontend', to: 'default/db', port: 6379, allowed: true },
      { from: 'default/frontend', to: 'default/db', port: 6380, allowed: false },
      { from: 'default/frontend', to: 'default/db', port: 6379, protocol: 'UDP', allowed: false },
      { from: 'default/client', to: 'default/db', port: 6379, allowed: false },
      { from: 'myproject/anything', to: 'default/db', port: 6379, allowed: true },
      { from: 'other/frontend', to: 'default/db', port: 6379, allowed: false },
      { from: '172.17.2.5', to: 'default/db', port: 6379, allowed: true },
      { from: '172.17.1.5', to: 'default/db', port: 6379, allowed: false },
      { from: '172.18.0.1', to: 'default/db', port: 6379, allowed: false },
      { from: 'default/db', to: '10.0.0.7', port: 5978, allowed: true },
      { from: 'default/db', to: '10.0.0.7', port: 80, allowed: false },
      { from: 'default/db', to: '10.0.1.7', port: 5978, allowed: false },
      { from: 'default/db', to: 'default/frontend', port: 5978, allowed: false },
      { from: 'default/frontend', to: 'default/client', port: 80, allowed: true },
    ],
  },
  {
    name: 'one peer with namespaceSelector and podSelector: role=client pods in namespaces labelled user=alice (AND)',
    policies: [policy('default/and', { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { user: 'alice' } }, podSelector: { matchLabels: { role: 'client' } } }] }] })],
    checks: [
      { from: 'other/client', to: 'default/db', port: 80, allowed: true },
      { from: 'other/frontend', to: 'default/db', port: 80, allowed: false },
      { from: 'default/client', to: 'default/db', port: 80, allowed: false },
    ],
  },
  {
    name: 'two peers: role=client pods in the policy namespace OR any pod in namespaces labelled user=alice',
    policies: [policy('default/or', { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { user: 'alice' } } }, { podSelector: { matchLabels: { role: 'client' } } }] }] })],
    checks: [
      { from: 'other/client', to: 'default/db', port: 80, allowed: true },
      { from: 'other/frontend', to: 'default/db', port: 80, allowed: true },
      { from: 'default/client', to: 'default/db', port: 80, allowed: true },
      { from: 'default/frontend', to: 'default/db', port: 80, allowed: false },
      { from: 'myproject/anything', to: 'default/db', port: 80, allowed: false },
    ],
  },
  {
    name: 'default deny all ingress: isolates every pod of the namespace for ingress, egress untouched',
    policies: [policy('default/default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })],
    checks: [
      { from: 'default/frontend', to: 'default/db', port: 80, allowed: false },
      { from: 'other/frontend', to: 'default/db', port: 80, allowed: false },
      { from: '203.0.113.1', to: 'default/db', port: 80, allowed: false },
      { from: 'default/db', to: 'other/frontend', port: 80, allowed: true },
      { from: 'default/db', to: '203.0.113.1', port: 443, allowed: true },
    ],
  },
  {
    name: 'allow all ingress: ingress: [{}] admits every source, beside a default deny',
    policies: [policy('default/default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }), policy('default/allow-all-ingress', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] })],
    checks: [
      { from: 'other/client', to: 'default/db', port: 80, allowed: true },
      { from: '203.0.113.1', to: 'default/db', port: 9999, allowed: true },
      { from: '203.0.113.1', to: 'default/db', port: 53, protocol: 'UDP', allowed: true },
    ],
  },
  {
    name: 'default deny all egress',
    policies: [policy('default/default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
    checks: [
      { from: 'default/db', to: 'default/frontend', port: 80, allowed: false },
      { from: 'default/db', to: '8.8.8.8', port: 53, protocol: 'UDP', allowed: false },
      { from: 'other/client', to: 'default/db', port: 80, allowed: true },
    ],
  },
  {
    name: 'allow all egress: egress: [{}] admits every destination, outside the cluster too',
    policies: [policy('default/default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] }), policy('default/allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] })],
    checks: [
      { from: 'default/db', to: '8.8.8.8', port: 53, protocol: 'UDP', allowed: true },
      { from: 'default/db', to: 'other/client', port: 80, allowed: true },
    ],
  },
  {
    name: 'default deny all ingress and all egress',
    policies: [policy('default/default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    checks: [
      { from: 'default/db', to: 'default/frontend', port: 80, allowed: false },
      { from: 'other/client', to: 'default/db', port: 80, allowed: false },
      { from: 'default/db', to: '8.8.8.8', port: 53, allowed: false },
      { from: 'other/client', to: 'other/frontend', port: 80, allowed: true },
    ],
  },
  {
    name: 'targeting a range of ports: TCP 32000-32768 to 10.0.0.0/24',
    policies: [policy('default/multi-port-egress', { podSelector: { matchLabels: { role: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }] })],
    checks: [
      { from: 'default/db', to: '10.0.0.1', port: 32000, allowed: true },
      { from: 'default/db', to: '10.0.0.1', port: 32768, allowed: true },
      { from: 'default/db', to: '10.0.0.1', port: 32769, allowed: false },
      { from: 'default/db', to: '10.0.0.1', port: 31999, allowed: false },
      { from: 'default/db', to: '10.0.1.1', port: 32000, allowed: false },
    ],
  },
  {
    name: 'targeting a namespace by its name: kubernetes.io/metadata.name, set on every namespace',
    policies: [policy('default/from-myproject', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'myproject' } } }] }] })],
    checks: [
      { from: 'myproject/anything', to: 'default/db', port: 80, allowed: true },
      { from: 'other/client', to: 'default/db', port: 80, allowed: false },
    ],
  },
  {
    name: 'ingress: [] with type Ingress allows nothing, like absent',
    policies: [policy('default/empty-ingress', { podSelector: { matchLabels: { role: 'db' } }, ingress: [] })],
    checks: [{ from: 'default/frontend', to: 'default/db', port: 80, allowed: false }],
  },
  {
    name: 'a rule with from: [] or from absent allows every source, outside too; its ports still apply',
    policies: [policy('default/any-source-443', { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ from: [], ports: [{ port: 443 }] }] })],
    checks: [
      { from: '198.51.100.1', to: 'default/db', port: 443, allowed: true },
      { from: 'other/client', to: 'default/db', port: 443, allowed: true },
      { from: 'other/client', to: 'default/db', port: 80, allowed: false },
    ],
  },
  {
    name: 'namespaceSelector {} covers every pod but no address outside the cluster',
    policies: [policy('default/pods-only', { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] })],
    checks: [
      { from: 'other/client', to: 'default/db', port: 80, allowed: true },
      { from: '10.244.9.9', to: 'default/db', port: 80, allowed: false },
    ],
  },
  {
    name: 'IPv6 ipBlock with except to an address outside',
    policies: [policy('default/v6', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:bad::/48'] } }] }] })],
    checks: [
      { from: 'default/db', to: '2001:db8:1::1', port: 443, allowed: true },
      { from: 'default/db', to: '2001:db8:bad::1', port: 443, allowed: false },
      { from: 'default/db', to: '10.0.0.1', port: 443, allowed: false },
    ],
  },
  {
    name: 'a policy selects pods of its own namespace only',
    policies: [policy('other/deny-frontend', { podSelector: { matchLabels: { role: 'frontend' } }, policyTypes: ['Ingress'] })],
    checks: [
      { from: 'default/client', to: 'other/frontend', port: 80, allowed: false },
      { from: 'default/client', to: 'default/frontend', port: 80, allowed: true },
    ],
  },
  {
    name: 'between two addresses outside the cluster no policy applies',
    policies: [policy('default/default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    checks: [{ from: '198.51.100.1', to: '203.0.113.1', port: 80, allowed: true }],
  },
];

for (const c of cases) t.test(c.name, async (t) => checkAll(t, conceptWorld(c.policies), c.checks));

t.test('the verdict names the isolating policies and the admitting policy and rule index', async (t) => {
  const world = conceptWorld([testNetworkPolicy, policy('default/also-6379', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }, { ports: [{ port: 6379 }] }] })]);
  const verdict = evaluate(world, endpoint(world, 'default/frontend'), endpoint(world, 'default/db'), { port: 6379, protocol: 'TCP' });
  t.same(verdict.ingress?.isolatedBy, ['default/test-network-policy', 'default/also-6379']);
  t.same(verdict.ingress?.allowedBy, [{ policy: 'default/test-network-policy', rule: 0 }, { policy: 'default/also-6379', rule: 1 }]);
  t.same(verdict.ingress?.misses, [{ policy: 'default/also-6379', rule: 0, peerMatches: true, portMatches: false }]);
  t.same(verdict.egress?.isolatedBy, [], 'frontend is not isolated for egress');
  t.ok(verdict.egress?.allowed);
});

t.test('explain reads as sentences', async (t) => {
  const world = conceptWorld([testNetworkPolicy, policy('default/deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
  const denied = evaluate(world, endpoint(world, 'default/client'), endpoint(world, 'default/db'), { port: 6380, protocol: 'TCP' });
  t.equal(
    describeVerdict(world, denied),
    [
      'default/client → default/db on TCP/6380: denied',
      '',
      'Egress from default/client: denied',
      '  isolated for egress by default/deny-all',
      '  no egress rule admits default/db on TCP/6380:',
      '  - default/deny-all has no egress rules: it only isolates default/client, it allows nothing',
      '',
      'Ingress to default/db: denied',
      '  isolated for ingress by default/test-network-policy, default/deny-all',
      '  no ingress rule admits default/client on TCP/6380:',
      '  - default/test-network-policy ingress rule 0: default/client (pod labels role=client; namespace labels kubernetes.io/metadata.name=default; IP 10.244.0.12) is not one of its sources (ipBlock 172.17.0.0/16 except 172.17.1.0/24; or pods matching {} in namespaces matching project=myproject; or pods matching role=frontend in namespace default), and TCP/6380 is not one of its ports (TCP/6379)',
      '  - default/deny-all has no ingress rules: it only isolates default/db, it allows nothing',
      '',
    ].join('\n'),
  );
  const open = buildWorld({ pods: [pod('a/x'), pod('b/y')] });
  t.equal(
    describeVerdict(open, evaluate(open, endpoint(open, '192.0.2.1'), endpoint(open, 'b/y'), { port: 80, protocol: 'TCP' })),
    [
      '192.0.2.1 → b/y on TCP/80: allowed',
      '',
      'Egress from 192.0.2.1: allowed: 192.0.2.1 is outside the cluster, no NetworkPolicy applies to it.',
      '',
      'Ingress to b/y: allowed: no NetworkPolicy in b selects b/y with policy type Ingress, so it is not isolated for ingress.',
      '',
    ].join('\n'),
  );
  const admitted = evaluate(world, endpoint(world, 'default/frontend'), endpoint(world, 'default/db'), { port: 6379, protocol: 'TCP' });
  t.match(describeVerdict(world, admitted), /Ingress to default\/db: allowed\n {2}isolated for ingress by default\/test-network-policy, default\/deny-all\n {2}admitted by default\/test-network-policy ingress rule 0 \(spec.ingress\[0\]\)\n/);
});

t.test('policies the API server would refuse are refused with the field named', async (t) => {
  const cases: { name: string; spec: NetworkPolicy['spec']; message: string }[] = [
    { name: 'an empty peer', spec: { ingress: [{ from: [{}] }] }, message: 'x/p: spec.ingress[0].from[0]: a peer needs podSelector, namespaceSelector or ipBlock' },
    { name: 'ipBlock with a selector', spec: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }, message: 'x/p: spec.egress[0].to[0]: ipBlock cannot be combined with podSelector or namespaceSelector' },
    { name: 'a malformed CIDR', spec: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/40' } }] }] }, message: 'x/p: spec.egress[0].to[0].ipBlock.cidr: "10.0.0.0/40" is not a CIDR' },
    { name: 'a malformed except', spec: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1'] } }] }] }, message: 'x/p: spec.egress[0].to[0].ipBlock.except[0]: "10.1" is not a CIDR' },
    { name: 'an unknown policy type', spec: { policyTypes: ['Ingress', 'Both' as 'Ingress'] }, message: 'x/p: spec.policyTypes[1]: "Both" is not one of Ingress, Egress' },
    { name: 'an unknown operator in the pod selector', spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'in', values: ['1'] }] } }, message: 'x/p: spec.podSelector.matchExpressions[0]: operator "in" is not one of In, NotIn, Exists, DoesNotExist' },
  ];
  for (const c of cases) t.throws(() => parsePolicy(policy('x/p', c.spec ?? {})), { name: 'InvalidPolicyError', message: c.message }, c.name);
  t.throws(() => parsePolicy({ metadata: { namespace: 'x' }, spec: {} }), { message: 'NetworkPolicy in x: metadata.name is required' });
});

t.test('a policy without spec, or as the API server returns it with every default filled in', async (t) => {
  const bare = parsePolicy({ metadata: { name: 'p', namespace: 'x' } });
  t.same(bare.isolates, { ingress: true, egress: false }, 'no spec: selects every pod, Ingress, allows nothing');
  const stored = parsePolicy({
    metadata: { name: 'p', namespace: 'x', resourceVersion: '7' },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 80 }] }], egress: [] },
  });
  t.same(stored.isolates, { ingress: true, egress: true });
  t.equal(parsePolicy({ metadata: { name: 'p' } }).namespace, 'default', 'no namespace: default, as kubectl applies it');
});

t.test('pods by IP: an address two pods share (hostNetwork) names neither', async (t) => {
  const world = buildWorld({ pods: [pod('x/a', {}, { ips: ['10.0.0.1', 'fd00::1'] }), pod('x/host-1', {}, { ips: ['192.168.0.10'] }), pod('y/host-2', {}, { ips: ['192.168.0.10'] })] });
  t.equal(world.podsByIp.get('fd00::1')?.name, 'a');
  t.equal(world.podsByIp.has('192.168.0.10'), false);
});
