// DESIGN.md "Effective default-deny": judged by what the policies do, not by their names.
import t from 'tap';
import { type DefaultDenyCoverage, defaultDenyCoverage, missingDirections } from '../../src/policy/default-deny.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { networkPolicy } from './helpers.ts';

const both: DefaultDenyCoverage = { ingress: true, egress: true };
const neither: DefaultDenyCoverage = { ingress: false, egress: false };
const ingressOnly: DefaultDenyCoverage = { ingress: true, egress: false };
const egressOnly: DefaultDenyCoverage = { ingress: false, egress: true };

const allowDns = networkPolicy('allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    },
  ],
});

const cases: readonly { readonly name: string; readonly policies: readonly NetworkPolicy[]; readonly expected: DefaultDenyCoverage }[] = [
  { name: 'no policies at all', policies: [], expected: neither },
  {
    name: 'empty podSelector, both policyTypes, no rules: one policy covers both',
    policies: [networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    expected: both,
  },
  {
    name: 'separate ingress and egress default-deny policies (the seed tutorial)',
    policies: [
      networkPolicy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
      networkPolicy('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] }),
    ],
    expected: both,
  },
  {
    name: 'an ingress default-deny alone leaves egress open',
    policies: [networkPolicy('deny-in', { podSelector: {}, policyTypes: ['Ingress'] })],
    expected: ingressOnly,
  },
  {
    name: 'an egress default-deny alone leaves ingress open',
    policies: [networkPolicy('deny-out', { podSelector: {}, policyTypes: ['Egress'] })],
    expected: egressOnly,
  },
  {
    name: 'allow-policies beside a default-deny do not undo it',
    policies: [allowDns, networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    expected: both,
  },
  {
    name: 'policyTypes absent and no egress section: Ingress is implied',
    policies: [networkPolicy('deny-in', { podSelector: {} })],
    expected: ingressOnly,
  },
  {
    name: 'policyTypes absent with an egress section: both implied, ingress denied, egress allowed by the rule',
    policies: [networkPolicy('egress-anywhere', { podSelector: {}, egress: [{ to: [{ namespaceSelector: {} }] }] })],
    expected: ingressOnly,
  },
  {
    // Kubernetes adds Egress only when len(spec.egress) != 0 (pkg/apis/networking/v1/defaults.go,
    // SetDefaults_NetworkPolicy): an empty egress list restricts nothing.
    name: 'policyTypes absent with an empty egress list: Kubernetes implies Ingress only',
    policies: [networkPolicy('deny-in', { podSelector: {}, egress: [] })],
    expected: ingressOnly,
  },
  {
    // Same defaulting: len(policyTypes) == 0 is treated as absent, so Ingress is implied.
    name: 'policyTypes an empty list: defaulted as if absent, Ingress is implied',
    policies: [networkPolicy('deny-in', { podSelector: {}, policyTypes: [] })],
    expected: ingressOnly,
  },
  {
    name: 'a policy named default-deny that allows everything does not count',
    policies: [networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] })],
    expected: neither,
  },
  {
    name: 'a policy named default-deny that allows one source does not count for that direction',
    policies: [
      networkPolicy('default-deny', {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      }),
    ],
    expected: egressOnly,
  },
  {
    name: 'podSelector with matchLabels selects only some pods and does not count',
    policies: [networkPolicy('deny-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] })],
    expected: neither,
  },
  {
    name: 'podSelector with matchExpressions does not count, even Exists',
    policies: [
      networkPolicy('deny-tiered', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        policyTypes: ['Ingress', 'Egress'],
      }),
    ],
    expected: neither,
  },
  {
    name: 'empty matchLabels and matchExpressions still select every pod',
    policies: [networkPolicy('default-deny', { podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: ['Ingress', 'Egress'] })],
    expected: both,
  },
  {
    name: 'empty-but-present ingress array is no rules: ingress denied',
    policies: [networkPolicy('deny-in', { podSelector: {}, policyTypes: ['Ingress'], ingress: [] })],
    expected: ingressOnly,
  },
  {
    name: 'empty-but-present egress array with Egress in policyTypes: egress denied',
    policies: [networkPolicy('deny-out', { podSelector: {}, policyTypes: ['Egress'], egress: [] })],
    expected: egressOnly,
  },
  {
    name: 'a policy without a spec counts for nothing',
    policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny' } }],
    expected: neither,
  },
];

t.test('defaultDenyCoverage', async (t) => {
  for (const c of cases) {
    t.strictSame(defaultDenyCoverage(c.policies), c.expected, c.name);
  }
});

t.test('missingDirections names the uncovered directions, ingress first', async (t) => {
  const table: readonly [DefaultDenyCoverage, string[]][] = [
    [both, []],
    [ingressOnly, ['egress']],
    [egressOnly, ['ingress']],
    [neither, ['ingress', 'egress']],
  ];
  for (const [coverage, expected] of table) {
    t.strictSame(missingDirections(coverage), expected, JSON.stringify(coverage));
  }
});
