/**
 * ClusterNetworkPolicy semantics as the API's doc comments define them
 * (sigs.k8s.io/network-policy-api v0.3.1, apis/v1beta1/clusternetworkpolicy_types.go), on
 * upstream's netpol model (namespaces x, y, z; pods a, b, c; x/a is 10.0.1.1).
 */
import fc from 'fast-check';
import t from 'tap';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import type { ClusterNetworkPolicyWire, ClusterRuleWire } from '../../src/reachability/cluster-policy-wire.ts';
import { parseClusterPolicy } from '../../src/reachability/cluster-policy.ts';
import { describeVerdict } from '../../src/reachability/describe.ts';
import { inventoryOf } from '../../src/reachability/inventory.ts';
import { reachabilityMatrix } from '../../src/reachability/matrix.ts';
import type { PodInfo, Protocol } from '../../src/reachability/model.ts';
import type { Outcome } from '../../src/reachability/tiers.ts';
import { evaluate } from '../../src/reachability/verdict.ts';
import { aboveCeiling } from '../../src/cli/explain-ceiling.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildWorld, type World } from '../../src/reachability/world.ts';
import { podsArb, policiesArb, selectorArb, trafficArb } from './reachability-arbitraries.ts';
import { endpoint, namespaceNames, podNames, policy, upstreamPod } from './reachability-fixtures.ts';

type Subject = NonNullable<NonNullable<ClusterNetworkPolicyWire['spec']>['subject']>;

function cnp(name: string, tier: 'Admin' | 'Baseline', priority: number, subject: Subject, rules: { ingress?: ClusterRuleWire[]; egress?: ClusterRuleWire[] }): ClusterNetworkPolicyWire {
  return { apiVersion: 'policy.networking.k8s.io/v1beta1', kind: 'ClusterNetworkPolicy', metadata: { name }, spec: { tier, priority, subject, ...rules } };
}

const nsX = { namespaces: { matchLabels: { ns: 'x' } } };
const nsY = { namespaces: { matchLabels: { ns: 'y' } } };
const everyNamespace = { namespaces: {} };
const hostPod: PodInfo = { namespace: 'x', name: 'host', labels: { pod: 'host' }, ips: ['192.168.0.10'], ports: [], hostNetwork: true };

function world(clusterPolicies: ClusterNetworkPolicyWire[], policies: NetworkPolicy[] = [], extraPods: PodInfo[] = []): World {
  return buildWorld({
    namespaces: namespaceNames.map((name) => ({ name, labels: { ns: name } })),
    pods: [...namespaceNames.flatMap((namespace) => podNames.map((name) => upstreamPod(namespace, name))), ...extraPods],
    policies,
    clusterPolicies,
    nodes: [{ name: 'node-1', labels: { role: 'worker' }, addresses: ['192.168.0.10'] }],
  });
}

function outcome(w: World, from: string, to: string, port = 80, protocol: Protocol = 'TCP'): Outcome {
  return evaluate(w, endpoint(w, from), endpoint(w, to), { port, protocol }).outcome;
}

interface Case {
  readonly name: string;
  readonly cnps: ClusterNetworkPolicyWire[];
  readonly nps?: NetworkPolicy[];
  readonly probes: readonly [from: string, to: string, port: number, protocol: Protocol, expected: Outcome][];
}

const denyAllFromY = (name: string, tier: 'Admin' | 'Baseline', priority: number): ClusterNetworkPolicyWire => cnp(name, tier, priority, nsX, { ingress: [{ action: 'Deny', from: [nsY] }] });

const cases: Case[] = [
  {
    name: 'Admin Deny beats a NetworkPolicy that allows; other sources untouched',
    cnps: [denyAllFromY('deny-y', 'Admin', 10)],
    nps: [policy('x/allow-all', { podSelector: {}, ingress: [{}] })],
    probes: [['y/a', 'x/a', 80, 'TCP', 'denied'], ['z/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'Admin Accept on egress is final for egress only: the destination NetworkPolicy still denies',
    cnps: [cnp('accept-to-y', 'Admin', 1, nsX, { egress: [{ action: 'Accept', to: [nsY] }] })],
    nps: [policy('y/deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }), policy('x/deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
    probes: [['x/a', 'y/a', 80, 'TCP', 'denied'], ['x/a', 'z/a', 80, 'TCP', 'denied']],
  },
  {
    name: 'Admin Accept on ingress overrides a default-deny NetworkPolicy for that traffic only',
    cnps: [cnp('accept-from-y', 'Admin', 1, nsX, { ingress: [{ action: 'Accept', from: [nsY] }] })],
    nps: [policy('x/deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })],
    probes: [['y/b', 'x/a', 80, 'TCP', 'allowed'], ['z/b', 'x/a', 80, 'TCP', 'denied']],
  },
  {
    name: 'lower priority value first; rule order within a policy',
    cnps: [
      cnp('accept-80', 'Admin', 5, nsX, { ingress: [{ action: 'Accept', from: [nsY], protocols: [{ tcp: { destinationPort: { number: 80 } } }] }, { action: 'Deny', from: [nsY] }] }),
      cnp('deny-all', 'Admin', 6, nsX, { ingress: [{ action: 'Deny', from: [everyNamespace] }] }),
    ],
    probes: [['y/a', 'x/a', 80, 'TCP', 'allowed'], ['y/a', 'x/a', 81, 'TCP', 'denied'], ['z/a', 'x/a', 80, 'TCP', 'denied']],
  },
  {
    name: 'Admin Pass skips the rest of the Admin tier: the NetworkPolicy decides',
    cnps: [cnp('pass-y', 'Admin', 1, nsX, { ingress: [{ action: 'Pass', from: [nsY] }] }), denyAllFromY('deny-y', 'Admin', 2)],
    nps: [policy('x/allow-y', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    probes: [['y/a', 'x/a', 80, 'TCP', 'allowed'], ['z/a', 'x/a', 80, 'TCP', 'denied']],
  },
  {
    name: 'Admin Pass with no NetworkPolicy goes on to the Baseline tier',
    cnps: [cnp('pass-y', 'Admin', 1, nsX, { ingress: [{ action: 'Pass', from: [nsY] }] }), denyAllFromY('baseline-deny-y', 'Baseline', 1)],
    probes: [['y/a', 'x/a', 80, 'TCP', 'denied'], ['z/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'Baseline Pass skips the rest of the Baseline tier: the default allows',
    cnps: [cnp('pass-y', 'Baseline', 1, nsX, { ingress: [{ action: 'Pass', from: [nsY] }] }), denyAllFromY('deny-y', 'Baseline', 2)],
    probes: [['y/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'a NetworkPolicy that isolates the pod decides: the Baseline is not consulted',
    cnps: [cnp('baseline-accept', 'Baseline', 1, nsX, { ingress: [{ action: 'Accept', from: [everyNamespace] }] })],
    nps: [policy('x/allow-y', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    probes: [['z/a', 'x/a', 80, 'TCP', 'denied'], ['z/a', 'x/b', 80, 'TCP', 'allowed'], ['y/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'a NetworkPolicy isolating ingress only leaves egress to the Baseline',
    cnps: [cnp('baseline-deny-egress', 'Baseline', 1, nsX, { egress: [{ action: 'Deny', to: [everyNamespace] }] })],
    nps: [policy('x/ingress-only', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] })],
    probes: [['x/a', 'y/a', 80, 'TCP', 'denied'], ['y/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'a policy without rules in a direction does not touch that direction',
    cnps: [cnp('egress-only', 'Admin', 1, nsX, { egress: [{ action: 'Deny', to: [nsY] }] })],
    probes: [['y/a', 'x/a', 80, 'TCP', 'allowed'], ['x/a', 'y/a', 80, 'TCP', 'denied']],
  },
  {
    name: 'pods subject and peers: namespaceSelector AND podSelector',
    cnps: [cnp('pods', 'Admin', 1, { pods: { namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } } }, { ingress: [{ action: 'Deny', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { pod: 'b' } } } }] }] })],
    probes: [['y/b', 'x/a', 80, 'TCP', 'denied'], ['y/c', 'x/a', 80, 'TCP', 'allowed'], ['y/b', 'x/b', 80, 'TCP', 'allowed'], ['y/b', 'y/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'protocols: ports, ranges and named ports of TCP, UDP and SCTP; no protocols is every port',
    cnps: [cnp('ports', 'Admin', 1, nsX, {
      ingress: [
        { action: 'Accept', from: [nsY], protocols: [{ udp: { destinationPort: { range: { start: 79, end: 80 } } } }, { destinationNamedPort: 'serve-81-sctp' }] },
        { action: 'Deny', from: [nsY] },
      ],
    })],
    probes: [['y/a', 'x/a', 80, 'UDP', 'allowed'], ['y/a', 'x/a', 80, 'TCP', 'denied'], ['y/a', 'x/a', 81, 'SCTP', 'allowed'], ['y/a', 'x/a', 81, 'TCP', 'denied'], ['y/a', 'x/a', 9999, 'UDP', 'denied']],
  },
  {
    name: 'networks match outside addresses and pod IPs alike (IPv4 and IPv6)',
    cnps: [cnp('deny-net', 'Admin', 1, nsX, { egress: [{ action: 'Deny', to: [{ networks: ['10.0.2.0/24', '2001:db8::/32'] }] }] })],
    probes: [['x/a', 'y/a', 80, 'TCP', 'denied'], ['x/a', 'z/a', 80, 'TCP', 'allowed'], ['x/a', '10.0.2.200', 80, 'TCP', 'denied'], ['x/a', '2001:db8::1', 80, 'TCP', 'denied'], ['x/a', '203.0.113.1', 80, 'TCP', 'allowed']],
  },
  {
    name: 'host-networked pods are outside subjects and namespaces peers (x/host is neither denied ingress nor a denied source); networks and nodes peers match their IP',
    cnps: [
      cnp('deny-x-ingress', 'Admin', 1, nsX, { ingress: [{ action: 'Deny', from: [everyNamespace] }] }),
      cnp('deny-egress-to-x', 'Admin', 2, { namespaces: { matchLabels: { ns: 'y' } } }, { egress: [{ action: 'Deny', to: [nsX] }] }),
      cnp('deny-to-nodes', 'Admin', 3, { namespaces: { matchLabels: { ns: 'z' } } }, { egress: [{ action: 'Deny', to: [{ nodes: { matchLabels: { role: 'worker' } } }] }] }),
    ],
    probes: [['y/a', 'x/host', 80, 'TCP', 'allowed'], ['y/a', 'x/a', 80, 'TCP', 'denied'], ['z/a', 'x/host', 80, 'TCP', 'denied'], ['z/a', '192.168.0.10', 80, 'TCP', 'denied'], ['x/host', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'a Baseline Deny of every namespace cannot close ingress from outside the cluster or from host-networked pods (ingress peers are pods only); egress closes with networks',
    cnps: [cnp('baseline-deny-all', 'Baseline', 1000, nsX, { ingress: [{ action: 'Deny', from: [everyNamespace] }], egress: [{ action: 'Deny', to: [everyNamespace, { networks: ['0.0.0.0/0', '::/0'] }] }] })],
    probes: [['y/a', 'x/a', 80, 'TCP', 'denied'], ['203.0.113.1', 'x/a', 80, 'TCP', 'allowed'], ['x/host', 'x/a', 80, 'TCP', 'allowed'], ['x/a', '203.0.113.1', 80, 'TCP', 'denied'], ['x/a', 'x/host', 80, 'TCP', 'denied']],
  },
  {
    name: 'equal priority, different actions: left to the implementation; the same action: decided',
    cnps: [
      cnp('a-deny', 'Admin', 7, nsX, { ingress: [{ action: 'Deny', from: [nsY] }] }),
      cnp('b-accept', 'Admin', 7, nsX, { ingress: [{ action: 'Accept', from: [everyNamespace] }] }),
      cnp('c-deny', 'Admin', 8, nsX, { ingress: [{ action: 'Deny', from: [everyNamespace] }] }),
    ],
    probes: [['y/a', 'x/a', 80, 'TCP', 'undetermined'], ['z/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'equal priority, Pass and Accept that end the same way: decided',
    cnps: [cnp('a-pass', 'Admin', 7, nsX, { ingress: [{ action: 'Pass', from: [nsY] }] }), cnp('b-accept', 'Admin', 7, nsX, { ingress: [{ action: 'Accept', from: [nsY] }] })],
    probes: [['y/a', 'x/a', 80, 'TCP', 'allowed']],
  },
  {
    name: 'domainNames: an outside address may or may not be the name; a pod is not',
    cnps: [cnp('allow-example', 'Admin', 1, nsX, { egress: [{ action: 'Accept', to: [{ domainNames: ['example.com'] }] }, { action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }] })],
    probes: [['x/a', '203.0.113.1', 443, 'TCP', 'undetermined'], ['x/a', 'y/a', 443, 'TCP', 'denied']],
  },
  {
    name: 'a peer with no field this engine knows fails closed: Accept matches nothing, Pass becomes Deny all',
    cnps: [
      cnp('future-accept', 'Admin', 1, nsX, { ingress: [{ action: 'Accept', from: [{ serviceAccounts: {} } as never] }] }),
      cnp('future-pass', 'Admin', 2, { namespaces: { matchLabels: { ns: 'y' } } }, { ingress: [{ action: 'Pass', from: [{} as never] }] }),
    ],
    nps: [policy('x/deny', { podSelector: {}, policyTypes: ['Ingress'] })],
    probes: [['z/a', 'x/a', 80, 'TCP', 'denied'], ['z/a', 'y/a', 80, 'TCP', 'denied'], ['z/a', 'z/b', 80, 'TCP', 'allowed']],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const w = world(c.cnps, c.nps, [hostPod]);
    for (const [from, to, port, protocol, expected] of c.probes) t.equal(outcome(w, from, to, port, protocol), expected, `${from} -> ${to} ${protocol}/${port}: ${expected}`);
  });
}

t.test('explain: the deciding tier, policy, rule and action; a Pass says where evaluation went next', async (t) => {
  const w = world([
    cnp('pass-y', 'Admin', 1, nsX, { ingress: [{ name: 'hand-y-to-developers', action: 'Pass', from: [nsY] }] }),
    cnp('baseline', 'Baseline', 3, nsX, { ingress: [{ name: 'deny-y', action: 'Deny', from: [nsY] }] }),
  ]);
  const verdict = evaluate(w, endpoint(w, 'y/a'), endpoint(w, 'x/a'), { port: 80, protocol: 'TCP' });
  t.equal(describeVerdict(w, verdict), [
    'y/a → x/a on TCP/80: denied',
    '',
    'Egress from y/a: allowed: no NetworkPolicy in y selects y/a with policy type Egress, so it is not isolated for egress.',
    '',
    'Ingress to x/a: denied',
    '  Admin tier: ClusterNetworkPolicy pass-y (priority 1) ingress rule 0 "hand-y-to-developers" applies: Pass: the rest of the Admin tier is skipped, evaluation goes on to the NetworkPolicy tier',
    '  NetworkPolicy tier: no NetworkPolicy in x selects x/a with policy type Ingress; evaluation goes on to the Baseline tier',
    '  Baseline tier: ClusterNetworkPolicy baseline (priority 3) ingress rule 0 "deny-y" applies: Deny: final',
    '',
  ].join('\n'));
});

t.test('explain: equal priorities that disagree name both choices and leave the answer open', async (t) => {
  const w = world([
    cnp('a-deny', 'Admin', 7, nsX, { ingress: [{ action: 'Deny', from: [nsY] }] }),
    cnp('b-accept', 'Admin', 7, nsX, { ingress: [{ action: 'Accept', from: [nsY] }] }),
  ]);
  const verdict = evaluate(w, endpoint(w, 'y/a'), endpoint(w, 'x/a'), { port: 80, protocol: 'TCP' });
  t.equal(describeVerdict(w, verdict).split('\n').slice(4).join('\n'), [
    'Ingress to x/a: undetermined',
    '  left to the implementation: Admin priority 7: a-deny ingress[0] (Deny), b-accept ingress[0] (Accept) match with different actions, and the API lets the implementation apply any of them',
    '  one way (denied):',
    '    Admin tier: ClusterNetworkPolicy a-deny (priority 7) ingress rule 0 applies: Deny: final',
    '  one way (allowed):',
    '    Admin tier: ClusterNetworkPolicy b-accept (priority 7) ingress rule 0 applies: Accept: final',
    '',
  ].join('\n'));
  t.equal(verdict.allowed, false, 'undetermined is not allowed');
  const matrix = reachabilityMatrix(w, { port: 80, protocol: 'TCP' });
  t.equal(matrix.outcome(w.pods.findIndex((p) => p.name === 'a' && p.namespace === 'y'), w.pods.findIndex((p) => p.name === 'a' && p.namespace === 'x')), 'undetermined');
});

const refused: { name: string; spec: Record<string, unknown>; message: string }[] = [
  { name: 'an unknown tier', spec: { tier: 'Developer', priority: 1, subject: nsX }, message: 'p: spec.tier: "Developer" is not one of Admin, Baseline' },
  { name: 'a priority above 1000', spec: { tier: 'Admin', priority: 1001, subject: nsX }, message: 'p: spec.priority: 1001 is not an integer from 0 to 1000' },
  { name: 'a subject with both fields', spec: { tier: 'Admin', priority: 1, subject: { namespaces: {}, pods: { podSelector: {} } } }, message: 'p: spec.subject: needs exactly one of namespaces, pods' },
  { name: 'an unknown action', spec: { tier: 'Admin', priority: 1, subject: nsX, ingress: [{ action: 'Allow', from: [nsY] }] }, message: 'p: spec.ingress[0].action: "Allow" is not one of Accept, Deny, Pass' },
  { name: 'a peer with two fields', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Deny', to: [{ namespaces: {}, networks: ['10.0.0.0/8'] }] }] }, message: 'p: spec.egress[0].to[0]: has namespaces and networks: a peer takes exactly one' },
  { name: 'networks in an ingress peer', spec: { tier: 'Admin', priority: 1, subject: nsX, ingress: [{ action: 'Deny', from: [{ networks: ['10.0.0.0/8'] }] }] }, message: 'p: spec.ingress[0].from[0].networks: is an egress peer only' },
  { name: 'a CIDR with host bits', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Deny', to: [{ networks: ['10.1.2.3/8'] }] }] }, message: 'p: spec.egress[0].to[0].networks[0]: "10.1.2.3/8" has host bits set (the network is 10.0.0.0/8)' },
  { name: 'a range whose start is not below its end', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Deny', to: [nsY], protocols: [{ tcp: { destinationPort: { range: { start: 80, end: 80 } } } }] }] }, message: 'p: spec.egress[0].protocols[0].tcp.destinationPort.range: start 80 must be less than end 80' },
  { name: 'a protocol entry with two fields', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Deny', to: [nsY], protocols: [{ tcp: { destinationPort: { number: 80 } }, udp: { destinationPort: { number: 53 } } }] }] }, message: 'p: spec.egress[0].protocols[0]: needs exactly one of tcp, udp, sctp, destinationNamedPort' },
  { name: 'a named port with a networks peer', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Accept', to: [{ networks: ['10.0.0.0/8'] }], protocols: [{ destinationNamedPort: 'web' }] }] }, message: 'p: spec.egress[0].to: networks, nodes and domainNames peers cannot be used with destinationNamedPort: they have no named ports' },
  { name: 'an empty protocols list', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Deny', to: [nsY], protocols: [] }] }, message: 'p: spec.egress[0].protocols: needs at least one item' },
  { name: 'domainNames in a Deny rule', spec: { tier: 'Admin', priority: 1, subject: nsX, egress: [{ action: 'Deny', to: [{ domainNames: ['example.com'] }] }] }, message: 'p: spec.egress[0].to: domainNames peers are only supported in Accept rules' },
];

t.test('policies the CRD would refuse are refused with the field named', async (t) => {
  for (const c of refused) t.throws(() => parseClusterPolicy({ metadata: { name: 'p' }, spec: c.spec }), { name: 'InvalidPolicyError', message: c.message }, c.name);
});

t.test('inventory: v1alpha2 and v1beta1 are read; a same-named kind of another group is not; a refusal names its source', async (t) => {
  const objects = [
    { ...cnp('beta', 'Admin', 1, nsX, {}), apiVersion: 'policy.networking.k8s.io/v1beta1' },
    { ...cnp('alpha', 'Baseline', 1, nsX, {}), apiVersion: 'policy.networking.k8s.io/v1alpha2' },
    { ...cnp('other', 'Admin', 1, nsX, {}), apiVersion: 'example.com/v1' },
    { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'x', name: 'h' }, spec: { hostNetwork: true }, status: { podIP: '192.168.0.9' } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', labels: { role: 'worker' } }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.9' }, { type: 'Hostname', address: 'n' }] } },
  ];
  const inventory = inventoryOf([{ source: 'in.yaml', objects }]);
  t.same(inventory.clusterPolicies.map((p) => `${p.tier}/${p.name}`), ['Admin/beta', 'Baseline/alpha']);
  t.same(inventory.pods.map((p) => p.hostNetwork), [true]);
  t.same(inventory.nodes, [{ name: 'n', labels: { role: 'worker' }, addresses: ['192.168.0.9', 'n'] }]);
  t.throws(() => inventoryOf([{ source: 'bad.yaml', objects: [cnp('bad', 'Admin', -1, nsX, {})] }]), { name: 'InvalidPolicyError', kind: 'ClusterNetworkPolicy', message: 'bad.yaml: bad: spec.priority: -1 is not an integer from 0 to 1000' });
});

const clusterPolicyArb = (name: string): fc.Arbitrary<ClusterNetworkPolicyWire> => {
  const peer = fc.oneof(
    selectorArb.map((namespaces) => ({ namespaces })),
    fc.record({ namespaceSelector: selectorArb, podSelector: selectorArb }).map((pods) => ({ pods })),
  );
  const egressPeer = fc.oneof(peer, fc.constantFrom({ networks: ['10.0.0.0/24'] }, { networks: ['0.0.0.0/0', '::/0'] }));
  const protocols = fc.option(fc.array(fc.oneof(fc.constantFrom({ tcp: { destinationPort: { number: 80 } } }, { udp: { destinationPort: { range: { start: 80, end: 81 } } } }, { destinationNamedPort: 'web' })), { minLength: 1, maxLength: 2 }), { nil: undefined });
  const action = fc.constantFrom('Accept', 'Deny', 'Pass');
  const rule = <P>(peers: fc.Arbitrary<P>, field: 'from' | 'to'): fc.Arbitrary<ClusterRuleWire> =>
    fc.record({ action, peers: fc.array(peers, { minLength: 1, maxLength: 2 }), protocols }).map((r) => ({
      action: r.action,
      [field]: r.peers,
      ...(r.protocols === undefined || (field === 'to' && (r.peers as { networks?: unknown }[]).some((p) => p.networks !== undefined)) ? {} : { protocols: r.protocols }),
    }));
  return fc.record({
    tier: fc.constantFrom('Admin' as const, 'Baseline' as const),
    priority: fc.integer({ min: 0, max: 3 }),
    subject: fc.oneof(selectorArb.map((namespaces) => ({ namespaces })), fc.record({ namespaceSelector: selectorArb, podSelector: selectorArb }).map((pods) => ({ pods }))),
    ingress: fc.array(rule(peer, 'from'), { maxLength: 2 }),
    egress: fc.array(rule(egressPeer, 'to'), { maxLength: 2 }),
  }).map((spec) => cnp(name, spec.tier, spec.priority, spec.subject, { ingress: spec.ingress, egress: spec.egress }));
};

t.test('with ClusterNetworkPolicies, the matrix agrees with the pairwise verdict on every pair', async (t) => {
  const clusterPoliciesArb = fc.integer({ min: 0, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => clusterPolicyArb(`cnp${i}`))));
  fc.assert(
    fc.property(podsArb, policiesArb, clusterPoliciesArb, trafficArb, (pods, policies, clusterPolicies, traffic) => {
      const w = buildWorld({ pods, policies, clusterPolicies });
      const matrix = reachabilityMatrix(w, traffic);
      return w.pods.every((from, i) => w.pods.every((to, j) => matrix.outcome(i, j) === evaluate(w, { pod: from }, { pod: to }, traffic).outcome));
    }),
    { numRuns: 300 },
  );
  t.pass('300 random worlds');
});

t.test('an Admin Accept for every connection allows every pair, whatever the NetworkPolicies say', async (t) => {
  const acceptAll = cnp('accept-all', 'Admin', 0, everyNamespace, { ingress: [{ action: 'Accept', from: [everyNamespace] }], egress: [{ action: 'Accept', to: [everyNamespace] }] });
  fc.assert(
    fc.property(podsArb, policiesArb, trafficArb, (pods, policies, traffic) => {
      const w = buildWorld({ pods, policies, clusterPolicies: [acceptAll] });
      const matrix = reachabilityMatrix(w, traffic);
      return w.pods.every((_f, i) => w.pods.every((_t, j) => matrix.outcome(i, j) === 'allowed'));
    }),
    { numRuns: 200 },
  );
  t.pass('200 random worlds');
});

t.test('explain names a NetworkPolicy above its ceiling only where the NetworkPolicy tier decides, not under an Admin Deny', async (t) => {
  const openX = policy('x/open', { podSelector: {}, ingress: [{}] });
  const sources = [{ source: 'in.yaml', objects: [openX] }];
  const config = loadConfig();
  const verdictIn = (w: World): Parameters<typeof aboveCeiling>[0] => evaluate(w, endpoint(w, 'y/a'), endpoint(w, 'x/a'), { port: 80, protocol: 'TCP' });
  const plain = world([], [openX]);
  t.same(aboveCeiling(verdictIn(plain), plain, sources, config).map((a) => a.policy), ['x/open'], 'the NetworkPolicy admits: named');
  const denied = world([denyAllFromY('deny-y', 'Admin', 1)], [openX]);
  t.same(aboveCeiling(verdictIn(denied), denied, sources, config), [], 'the Admin tier denies first: the NetworkPolicy admits nothing here');
});
