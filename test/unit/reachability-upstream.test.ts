/**
 * The policies of upstream's NetworkPolicy conformance tests (kubernetes test/e2e/network/netpol)
 * over its model (x, y, z × a, b, c), each with the truth table the e2e test expects.
 */
import t from 'tap';
import type { PodInfo, Protocol } from '../../src/reachability/model.ts';
import { assertTruthTable, type Expectation, inNamespace, is, policy, upstreamWorld } from './reachability-fixtures.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';

interface Case {
  readonly name: string;
  readonly policies: readonly NetworkPolicy[];
  readonly checks: readonly { port: number; protocol?: Protocol; expect: Expectation }[];
}

const all: Expectation = () => true;
const nsName = 'kubernetes.io/metadata.name';
const x = inNamespace('x');
const xa = is('x/a');
const except = (deny: (from: PodInfo, to: PodInfo) => boolean, allow: (from: PodInfo, to: PodInfo) => boolean = () => false): Expectation => (from, to) => allow(from, to) || !deny(from, to);

const cases: Case[] = [
  {
    name: "default-deny-ingress: nothing reaches x's pods, x's pods reach everything",
    policies: [policy('x/deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })],
    checks: [{ port: 80, expect: except((_f, to) => x(to)) }],
  },
  {
    name: 'default-deny-all: nothing enters or leaves x',
    policies: [policy('x/deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] })],
    checks: [{ port: 80, expect: except((from, to) => x(from) || x(to)) }],
  },
  {
    name: 'deny egress from all pods in a namespace: egress: [] with policyTypes Egress',
    policies: [policy('x/deny-egress-ns-x', { podSelector: {}, policyTypes: ['Egress'] })],
    checks: [{ port: 80, expect: except((from) => x(from)) }],
  },
  {
    name: 'allow from pods within the server namespace by podSelector: x/a only from x/b',
    policies: [policy('x/allow-client-a-via-pod-selector', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to), (from) => is('x/b')(from)) }],
  },
  {
    name: 'podSelector-only peer means the policy namespace: y/b does not match pod=b in x',
    policies: [policy('x/allow-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    checks: [{ port: 81, expect: except((_f, to) => xa(to), (from) => is('x/b')(from)) }],
  },
  {
    name: 'deny ingress from pods on other namespaces: podSelector {} peer is the own namespace only',
    policies: [policy('x/deny-other-ns', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => x(to), (from) => x(from)) }],
  },
  {
    name: 'allow from all namespaces: namespaceSelector {} peer',
    policies: [policy('x/allow-all-ns', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] })],
    checks: [{ port: 80, expect: all }],
  },
  {
    name: 'allow only from a different namespace by namespaceSelector',
    policies: [policy('x/allow-ns-y', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to), (from) => inNamespace('y')(from)) }],
  },
  {
    name: 'podSelector with matchExpressions In',
    policies: [policy('x/allow-expr', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] } }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to), (from) => is('x/b')(from)) }],
  },
  {
    name: 'namespaceSelector with matchExpressions NotIn: from y and z',
    policies: [policy('x/allow-not-x', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to), (from) => !x(from)) }],
  },
  {
    name: 'podSelector OR namespaceSelector: two peers',
    policies: [policy('x/allow-or', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } }, { podSelector: { matchLabels: { pod: 'b' } } }] }],
    })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to), (from) => !x(from) || is('x/b')(from)) }],
  },
  {
    name: 'podSelector AND namespaceSelector in one peer',
    policies: [policy('x/allow-and', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] }, podSelector: { matchLabels: { pod: 'b' } } }] }],
    })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to), (from) => !x(from) && from.name === 'b') }],
  },
  {
    name: 'namespace by name through kubernetes.io/metadata.name, which every namespace carries',
    policies: [policy('x/allow-from-z', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { [nsName]: 'z' } } }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => x(to), (from) => inNamespace('z')(from)) }],
  },
  {
    name: 'ingress on one named port: serve-81-tcp allows 81, not 80',
    policies: [policy('x/allow-named-81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })],
    checks: [
      { port: 81, expect: all },
      { port: 80, expect: except((_f, to) => xa(to)) },
    ],
  },
  {
    name: 'ingress from a namespace on one named port',
    policies: [policy('x/allow-ns-y-81', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve-81-tcp', protocol: 'TCP' }] }] })],
    checks: [
      { port: 81, expect: except((_f, to) => x(to), (from) => inNamespace('y')(from)) },
      { port: 80, expect: except((_f, to) => x(to)) },
    ],
  },
  {
    name: 'egress on one named port: resolved against the destination pod',
    policies: [policy('x/allow-egress-named', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve-80-tcp' }] }] })],
    checks: [
      { port: 80, expect: all },
      { port: 81, expect: except((from) => xa(from)) },
    ],
  },
  {
    name: 'a named port of another protocol does not match: serve-80-udp on TCP',
    policies: [policy('x/allow-udp-name', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-80-udp', protocol: 'UDP' }] }] })],
    checks: [
      { port: 80, protocol: 'UDP', expect: all },
      { port: 80, protocol: 'TCP', expect: except((_f, to) => xa(to)) },
    ],
  },
  {
    name: 'Ingress and Egress together: x/a ingress from x/b, egress only on 80',
    policies: [policy('x/allow-client-a-via-pod-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      egress: [{ ports: [{ port: 80 }] }],
      policyTypes: ['Egress', 'Ingress'],
    })],
    checks: [
      { port: 80, expect: except((_f, to) => xa(to), (from) => is('x/b')(from)) },
      { port: 81, expect: except((from, to) => xa(to) || xa(from), (from, to) => is('x/b')(from) && xa(to)) },
    ],
  },
  {
    name: 'denying egress on the client side even when the server allows it',
    policies: [
      policy('x/allow-to-ns-y-pod-a', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { [nsName]: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] }),
      policy('y/allow-from-xa-on-ya', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { [nsName]: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] }),
      policy('y/allow-from-xa-on-yb', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { [nsName]: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] }),
    ],
    checks: [{ port: 80, expect: (from, to) => {
      if (is('y/b')(to)) return false;
      if (xa(from)) return is('y/a')(to);
      return !is('y/a')(to);
    } }],
  },
  {
    name: 'protocol-only port entry: any TCP port, no UDP',
    policies: [policy('x/allow-ingress-by-proto', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ protocol: 'TCP' }] }] })],
    checks: [
      { port: 80, protocol: 'TCP', expect: all },
      { port: 80, protocol: 'UDP', expect: except((_f, to) => xa(to)) },
    ],
  },
  {
    name: 'an allow-all ingress policy beside a port-80 policy opens 81 (allows are a union)',
    policies: [
      policy('x/allow-ingress-port-80', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
      policy('x/allow-ingress', { podSelector: {}, ingress: [{}] }),
    ],
    checks: [{ port: 81, expect: all }],
  },
  {
    name: 'a port-80 ingress policy alone closes 81',
    policies: [policy('x/allow-ingress-port-80', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })],
    checks: [
      { port: 81, expect: except((_f, to) => x(to)) },
      { port: 80, expect: all },
    ],
  },
  {
    name: 'an allow-all egress policy beside a port-80 egress policy opens 81',
    policies: [
      policy('x/allow-egress-port-80', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 80 }] }] }),
      policy('x/allow-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }),
    ],
    checks: [{ port: 81, expect: all }],
  },
  {
    name: 'egress to a server by CIDR: the pod IP in an ipBlock matches the pod',
    policies: [policy('x/allow-client-a-via-cidr-egress-rule', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.2.2/32' } }] }] })],
    checks: [{ port: 80, expect: except((from) => xa(from), (_f, to) => is('y/b')(to)) }],
  },
  {
    name: 'except clause: x/a may reach x/c by the /24 but not x/b, which is excepted',
    policies: [policy('x/deny-client-a-via-except-cidr-egress-rule', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.1.0/24', except: ['10.0.1.2/32'] } }] }] })],
    checks: [{ port: 80, expect: except((from) => xa(from), (_f, to) => x(to) && to.name !== 'b') }],
  },
  {
    name: 'an IP in one policy\'s except and another policy\'s cidr is allowed',
    policies: [
      policy('x/deny-client-a-via-except-cidr-egress-rule', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.1.0/24', except: ['10.0.1.2/32'] } }] }] }),
      policy('x/allow-client-a-via-cidr-egress-rule', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.1.2/32' } }] }] }),
    ],
    checks: [{ port: 80, expect: except((from) => xa(from), (_f, to) => x(to)) }],
  },
  {
    name: 'ipBlock on ingress matches source pod IPs',
    policies: [policy('x/from-y-range', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.2.0/24' } }] }] })],
    checks: [{ port: 80, expect: except((_f, to) => x(to), (from) => inNamespace('y')(from)) }],
  },
  {
    name: 'SCTP is not TCP: a policy for SCTP/80 leaves TCP/80 closed',
    policies: [policy('x/allow-only-sctp', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }] })],
    checks: [
      { port: 80, protocol: 'TCP', expect: except((_f, to) => xa(to)) },
      { port: 80, protocol: 'SCTP', expect: all },
    ],
  },
  {
    name: 'UDP only: TCP closed',
    policies: [policy('x/allow-only-udp', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }] })],
    checks: [
      { port: 81, protocol: 'TCP', expect: except((_f, to) => xa(to)) },
      { port: 81, protocol: 'UDP', expect: all },
    ],
  },
  {
    name: 'endPort: 80-81 allows both, a range 81-82 only 81',
    policies: [
      policy('x/range-80-81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80, endPort: 81 }] }] }),
      policy('x/range-81-82', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ ports: [{ port: 81, endPort: 82 }] }] }),
    ],
    checks: [
      { port: 80, expect: except((_f, to) => is('x/b')(to)) },
      { port: 81, expect: all },
    ],
  },
  {
    name: 'policyTypes absent with only egress rules: Ingress and Egress (the API server default), so x/a is closed both ways',
    policies: [policy('x/egress-rules-only', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ ports: [{ port: 80 }] }] })],
    checks: [
      { port: 80, expect: except((_f, to) => xa(to)) },
      { port: 81, expect: except((from, to) => xa(to) || xa(from)) },
    ],
  },
  {
    name: 'policyTypes [Egress] ignores the ingress rules it lists',
    policies: [policy('x/egress-type-only', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] })],
    checks: [{ port: 80, expect: except((from) => xa(from)) }],
  },
  {
    name: 'policyTypes [] is defaulted like absent: ingress isolated, egress: [] not egress',
    policies: [policy('x/empty-types', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: [], egress: [] })],
    checks: [{ port: 80, expect: except((_f, to) => xa(to)) }],
  },
  {
    name: 'ingress and egress controlled independently: x/a egress denied, x/b ingress from x/a only',
    policies: [
      policy('x/deny-egress-a', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'] }),
      policy('x/allow-a-to-b', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'a' } } }] }] }),
    ],
    checks: [{ port: 80, expect: (from, to) => !xa(from) && !is('x/b')(to) }],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const world = upstreamWorld(c.policies);
    for (const check of c.checks) assertTruthTable(t, world, check.expect, { port: check.port, protocol: check.protocol ?? 'TCP' });
  });
}
