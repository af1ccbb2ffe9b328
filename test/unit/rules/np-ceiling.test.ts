// DESIGN.md "Admission behaviour", NP-CEILING; docs/ceiling.md. Each bypass of issue 9 is
// refused with its exact message; the baseline's own policies and narrower ones stay allowed.
import t from 'tap';
import type { AdmissionRequest, KubeObject, UserInfo } from '../../../src/kube/admission-review.ts';
import type { Config } from '../../../src/config/types.ts';
import { profileNamed } from '../../../src/config/profiles.ts';
import type { NetworkPolicySpec } from '../../../src/kube/network-policy.ts';
import { npCeiling } from '../../../src/policy/rules/np-ceiling.ts';
import { registeredRules } from '../../../src/policy/rules/registry.ts';
import { validate } from './ask.ts';
import { renderBaseline } from '../../../src/policy/baseline.ts';
import { admissionRequest, configWith, context, defaultConfig, fakeCluster, networkPolicy, unavailableCluster, users } from '../helpers.ts';

const nameLabel = 'kubernetes.io/metadata.name';
const tier = (value: string): { matchLabels: Record<string, string> } => ({ matchLabels: { tier: value } });
const namespaceNamed = (name: string): { matchLabels: Record<string, string> } => ({ matchLabels: { [nameLabel]: name } });
const fromBusiness = { podSelector: tier('business') };
const toDb = (ingress: NetworkPolicySpec['ingress']): NetworkPolicySpec => ({ podSelector: tier('db'), ingress });

/** A message as NP-CEILING writes it for a policy in products-prod. */
const refusal = (policy: string, body: string): string => `NP-CEILING: NetworkPolicy "${policy}" in namespace "products-prod" ${body}, or ask a member of system:masters`;

const seedProdDb = 'profile "seed-prod" allows ingress to tier=db only from tier=business in products-prod and products-stage';
const seedEgress = (pods: string): string => `profile "seed-prod" allows egress from ${pods} only to k8s-app=kube-dns in kube-system, any pod in any namespace`;

interface Case {
  readonly name: string;
  readonly spec: NetworkPolicySpec;
  /** Bodies of the expected messages, in order; empty: allowed. */
  readonly refused: readonly string[];
  readonly profile?: string;
  readonly config?: Config;
}

const bypasses: readonly Case[] = [
  {
    name: 'namespaceSelector {} (the issue example)',
    spec: toDb([{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from any pod in any namespace on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'allow-all: podSelector {}, ingress [{}], egress [{}]',
    spec: { podSelector: {}, ingress: [{}], egress: [{}] },
    refused: [
      'would allow ingress to tier=ui pods from anywhere on any port; profile "seed-prod" allows ingress to tier=ui from anywhere only on port 8080; narrow spec.podSelector or spec.ingress[0].ports',
      `would allow egress from tier=ui pods to anywhere on any port; ${seedEgress('tier=ui')}; narrow spec.podSelector or spec.egress[0].to`,
    ],
  },
  {
    name: 'an ingress rule without from: every source',
    spec: toDb([{ ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from anywhere on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'from: [{}] (an empty peer; the API server refuses it too)',
    spec: toDb([{ from: [{}] }]),
    refused: ['cannot be judged against profile "seed-prod": spec.ingress[0].from[0]: a peer needs podSelector, namespaceSelector or ipBlock; fix the policy'],
  },
  {
    name: 'to: [{}] (an empty peer)',
    spec: { podSelector: tier('db'), policyTypes: ['Egress'], egress: [{ to: [{}] }] },
    refused: ['cannot be judged against profile "seed-prod": spec.egress[0].to[0]: a peer needs podSelector, namespaceSelector or ipBlock; fix the policy'],
  },
  {
    name: 'the right tier in every namespace',
    spec: toDb([{ from: [{ namespaceSelector: {}, podSelector: tier('business') }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from tier=business pods in any namespace on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'ipBlock 0.0.0.0/0',
    spec: toDb([{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from addresses in 0.0.0.0/0 on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'ipBlock ::/0 for egress',
    spec: { podSelector: tier('db'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::/0' } }] }] },
    refused: [`would allow egress from tier=db pods to addresses in ::/0 on any port; ${seedEgress('tier=db')}; narrow spec.egress[0].to`],
  },
  {
    name: 'the IPv4 space split in two',
    spec: { podSelector: tier('ui'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/1' } }, { ipBlock: { cidr: '128.0.0.0/1' } }], ports: [{ port: 443 }] }] },
    refused: [`would allow egress from tier=ui pods to addresses in 0.0.0.0/1 on port 443; ${seedEgress('tier=ui')}; narrow spec.egress[0].to`],
  },
  {
    name: 'IPv4-mapped IPv6 addresses',
    spec: { podSelector: tier('ui'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::ffff:0.0.0.0/96' } }] }] },
    refused: [`would allow egress from tier=ui pods to addresses in ::ffff:0.0.0.0/96 on any port; ${seedEgress('tier=ui')}; narrow spec.egress[0].to`],
  },
  {
    name: 'an except list that leaves the rest of the Internet',
    spec: toDb([{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from addresses in 0.0.0.0/0 except 10.0.0.0/8, 192.168.0.0/16 on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'an ipBlock covering the pod network (any pod by its IP)',
    spec: toDb([{ from: [{ ipBlock: { cidr: '10.244.0.0/16' } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from addresses in 10.244.0.0/16 on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'peer tier Exists',
    spec: toDb([{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from tier pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'peer tier NotIn (ui, db): business, but also pods with no or another tier',
    spec: toDb([{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['ui', 'db'] }] } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from tier notin (ui,db) pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'peer tier DoesNotExist',
    spec: toDb([{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from !tier pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'peer tier In (business, ui): the ui part is beyond',
    spec: toDb([{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['business', 'ui'] }] } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from tier=ui pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'a peer label other than the tier (any tier may carry it)',
    spec: toDb([{ from: [{ podSelector: { matchLabels: { app: 'orders' } } }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from app=orders pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'podSelector tier DoesNotExist: pods without a valid tier get nothing',
    spec: { podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, ingress: [{ ports: [{ port: 8080 }] }] },
    refused: ['would allow ingress to pods without a valid tier label from anywhere on port 8080; profile "seed-prod" allows no ingress to pods without a valid tier label; narrow spec.ingress[0].from'],
  },
  {
    name: 'podSelector tier=evil (not a configured tier)',
    spec: { podSelector: tier('evil'), ingress: [{ ports: [{ port: 8080 }] }] },
    refused: ['would allow ingress to pods without a valid tier label from anywhere on port 8080; profile "seed-prod" allows no ingress to pods without a valid tier label; narrow spec.ingress[0].from'],
  },
  {
    name: 'podSelector tier Exists: judged for every tier',
    spec: { podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, ingress: [{ from: [fromBusiness], ports: [{ port: 8082 }] }] },
    refused: [
      'would allow ingress to tier=ui pods from tier=business pods in products-prod on port 8082; profile "seed-prod" allows ingress to tier=ui from tier=business pods in products-prod only on port 8080; narrow spec.podSelector or spec.ingress[0].ports',
    ],
  },
  {
    name: 'podSelector tier NotIn (ui): business is reached from business',
    spec: { podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['ui'] }] }, ingress: [{ from: [fromBusiness], ports: [{ port: 8082 }] }] },
    refused: [
      'would allow ingress to tier=business pods from tier=business pods in products-prod on port 8082; profile "seed-prod" allows ingress to tier=business only from tier=ui in products-prod; narrow spec.podSelector or spec.ingress[0].from',
    ],
  },
  {
    name: 'podSelector app=web: an app=web pod may carry any tier',
    spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 8080 }] }] },
    refused: [
      'would allow ingress to tier=business pods from anywhere on port 8080; profile "seed-prod" allows ingress to tier=business only from tier=ui in products-prod; narrow spec.podSelector or spec.ingress[0].from',
    ],
  },
  {
    name: 'endPort range beyond the port',
    spec: toDb([{ from: [fromBusiness], ports: [{ port: 8000, endPort: 9000 }] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on ports 8000-9000; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'a named port (any number)',
    spec: toDb([{ from: [fromBusiness], ports: [{ port: 'postgres' }] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on named port "postgres" (any number); profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'the right port number over SCTP',
    spec: toDb([{ from: [fromBusiness], ports: [{ port: 8082, protocol: 'SCTP' }] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on SCTP port 8082; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'every UDP port',
    spec: toDb([{ from: [fromBusiness], ports: [{ port: 8082 }, { protocol: 'UDP' }] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on any UDP port; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'an empty ports list (every port and protocol)',
    spec: toDb([{ from: [fromBusiness], ports: [] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on any port; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'ports: [{}] (every TCP port)',
    spec: toDb([{ from: [fromBusiness], ports: [{}] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on any TCP port; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on port 8082; narrow spec.ingress[0].ports',
    ],
  },
  {
    name: 'namespaceSelector naming kube-system among allowed namespaces',
    spec: toDb([{ from: [{ namespaceSelector: { matchExpressions: [{ key: nameLabel, operator: 'In', values: ['products-prod', 'kube-system'] }] }, podSelector: tier('business') }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from tier=business pods in kube-system on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'namespaceSelector name NotIn: every other namespace',
    spec: toDb([{ from: [{ namespaceSelector: { matchExpressions: [{ key: nameLabel, operator: 'NotIn', values: ['kube-system'] }] }, podSelector: tier('business') }], ports: [{ port: 8082 }] }]),
    refused: [
      `would allow ingress to tier=db pods from tier=business pods in namespaces matching kubernetes.io/metadata.name notin (kube-system) on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`,
    ],
  },
  {
    name: 'namespaceSelector by another label (any namespace may carry it)',
    spec: toDb([{ from: [{ namespaceSelector: { matchLabels: { env: 'stage' } }, podSelector: tier('business') }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from tier=business pods in namespaces matching env=stage on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: "stage's business tier under the seed profile, which does not allow it",
    profile: 'seed',
    spec: toDb([{ from: [{ namespaceSelector: namespaceNamed('products-stage'), podSelector: tier('business') }], ports: [{ port: 8082 }] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-stage on port 8082; profile "seed" allows ingress to tier=db only from tier=business in products-prod; narrow spec.ingress[0].from',
    ],
  },
  {
    name: 'no policyTypes: the egress section makes it an egress policy',
    spec: { podSelector: tier('db'), egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] },
    refused: [`would allow egress from tier=db pods to addresses in 0.0.0.0/0 on any port; ${seedEgress('tier=db')}; narrow spec.egress[0].to`],
  },
  {
    name: 'the second peer is the wide one',
    spec: toDb([{ from: [fromBusiness, { namespaceSelector: {}, podSelector: {} }], ports: [{ port: 8082 }] }]),
    refused: [`would allow ingress to tier=db pods from any pod in any namespace on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`],
  },
  {
    name: 'the second rule is the wide one',
    spec: toDb([{ from: [fromBusiness], ports: [{ port: 8082 }] }, { from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }]),
    refused: [`would allow ingress to tier=db pods from addresses in 203.0.113.0/24 on any port; ${seedProdDb}; narrow spec.ingress[1].from`],
  },
  {
    name: 'egress to kube-system when the profile allows only DNS there',
    config: configWith({ profiles: { 'seed-prod': { ...profileNamed(defaultConfig, 'seed-prod'), allowClusterEgress: false } } , defaultProfile: 'seed-prod' }),
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: namespaceNamed('kube-system') }], ports: [{ port: 53, protocol: 'UDP' }] }] },
    refused: [
      'would allow egress from tier=ui pods to any pod in kube-system on UDP port 53; profile "seed-prod" allows egress from tier=ui only to k8s-app=kube-dns in kube-system; narrow spec.podSelector or spec.egress[0].to',
    ],
  },
];

const allowed: readonly Case[] = [
  { name: "the profile's own db rule", spec: toDb([{ from: [fromBusiness, { namespaceSelector: namespaceNamed('products-stage'), podSelector: tier('business') }], ports: [{ port: 8082 }] }]), refused: [] },
  { name: 'narrower: one app of the db tier from one app of the business tier', spec: { podSelector: { matchLabels: { tier: 'db', app: 'pg' } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'business', app: 'orders' } } }], ports: [{ port: 8082 }] }] }, refused: [] },
  {
    name: 'both namespaces by name In, tier given twice',
    spec: toDb([{ from: [{ namespaceSelector: { matchExpressions: [{ key: nameLabel, operator: 'In', values: ['products-prod', 'products-stage'] }] }, podSelector: { matchLabels: { tier: 'business' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['business', 'ui'] }] } }], ports: [{ port: 8082 }] }]),
    refused: [],
  },
  { name: 'ui from a CIDR on its port (ui admits anything on 8080)', spec: { podSelector: tier('ui'), ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 8080 }] }] }, refused: [] },
  { name: 'egress from ui to business pods (cluster egress)', spec: { podSelector: tier('ui'), policyTypes: ['Egress'], egress: [{ to: [{ podSelector: tier('business') }], ports: [{ port: 8081 }] }] }, refused: [] },
  { name: 'DNS over UDP only', spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: namespaceNamed('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }] }] }, refused: [] },
  { name: 'a deny-all of its own', spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, refused: [] },
  { name: 'policyTypes [Ingress]: its egress section is inert', spec: { podSelector: tier('db'), policyTypes: ['Ingress'], ingress: [], egress: [{}] }, refused: [] },
  { name: 'an ipBlock whose except entries leave nothing', spec: toDb([{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.128.0.0/9', '10.0.0.0/9'] } }] }]), refused: [] },
  { name: 'a podSelector no pod can match', spec: { podSelector: { matchLabels: { tier: 'ui' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['ui'] }] }, ingress: [{}] }, refused: [] },
  { name: 'a peer no pod can match', spec: toDb([{ from: [{ podSelector: { matchLabels: { tier: 'ui' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } }] }]), refused: [] },
];

const widened = configWith({
  profiles: {
    ...defaultConfig.profiles,
    'seed-prod': {
      ...profileNamed(defaultConfig, 'seed-prod'),
      ceiling: {
        ingress: [
          { from: [{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }], ports: [{ port: 9090 }] },
          { tiers: ['db'], from: [{ tier: 'business' }], ports: [{ port: 9000, endPort: 9100 }] },
        ],
        egress: [{ tiers: ['business'], to: [{ cidr: '203.0.113.0/24' }, { cidr: '2001:db8::/32' }], ports: [{ port: 443 }] }],
      },
    },
  },
});
const monitoring = { namespaceSelector: namespaceNamed('monitoring'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
const businessEgress = (to: string, port: number): NetworkPolicySpec => ({ podSelector: tier('business'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: to } }], ports: [{ port }] }] });
const businessEgress2 = (cidr: string, except: string[]): NetworkPolicySpec => ({ podSelector: tier('business'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr, except } }], ports: [{ port: 443 }] }] });
const widenedEgress = 'profile "seed-prod" allows egress from tier=business only to k8s-app=kube-dns in kube-system, any pod in any namespace, addresses in 203.0.113.0/24 and 2001:db8::/32';

const configured: readonly Case[] = [
  { name: 'configured: monitoring scrapes every pod on 9090', config: widened, spec: { podSelector: {}, ingress: [{ from: [monitoring], ports: [{ port: 9090 }] }] }, refused: [] },
  {
    name: 'configured: monitoring on another port',
    config: widened,
    spec: { podSelector: {}, ingress: [{ from: [monitoring], ports: [{ port: 9091 }] }] },
    refused: [
      'would allow ingress to tier=ui pods from app.kubernetes.io/name=prometheus pods in monitoring on port 9091; profile "seed-prod" allows ingress to tier=ui from app.kubernetes.io/name=prometheus pods in monitoring only on ports 8080, 9090; narrow spec.podSelector or spec.ingress[0].ports',
    ],
  },
  { name: 'configured: db from business on 8082 and a range', config: widened, spec: toDb([{ from: [fromBusiness], ports: [{ port: 8082 }, { port: 9000, endPort: 9050 }] }]), refused: [] },
  {
    name: 'configured: the range is wider than the grant',
    config: widened,
    spec: toDb([{ from: [fromBusiness], ports: [{ port: 8082 }, { port: 9000, endPort: 9200 }] }]),
    refused: [
      'would allow ingress to tier=db pods from tier=business pods in products-prod on ports 9000-9200; profile "seed-prod" allows ingress to tier=db from tier=business pods in products-prod only on ports 8082, 9000-9100; narrow spec.ingress[0].ports',
    ],
  },
  { name: 'configured: business to a part of its CIDR', config: widened, spec: businessEgress('203.0.113.128/25', 443), refused: [] },
  { name: 'configured: business to its IPv6 CIDR', config: widened, spec: businessEgress('2001:db8:1::/48', 443), refused: [] },
  { name: 'configured: a larger CIDR whose except entries cut it down to the grant', config: widened, spec: businessEgress2('203.0.112.0/23', ['203.0.112.0/24']), refused: [] },
  {
    name: 'configured: except entries that leave a hole outside the grant',
    config: widened,
    spec: businessEgress2('203.0.112.0/23', ['203.0.112.0/25']),
    refused: [`would allow egress from tier=business pods to addresses in 203.0.112.0/23 except 203.0.112.0/25 on port 443; ${widenedEgress}; narrow spec.egress[0].to`],
  },
  {
    name: 'configured: a CIDR larger than the grant',
    config: widened,
    spec: businessEgress('203.0.112.0/23', 443),
    refused: [`would allow egress from tier=business pods to addresses in 203.0.112.0/23 on port 443; ${widenedEgress}; narrow spec.egress[0].to`],
  },
  {
    name: 'configured: the CIDR on another port',
    config: widened,
    spec: businessEgress('203.0.113.0/24', 80),
    refused: [
      'would allow egress from tier=business pods to addresses in 203.0.113.0/24 on port 80; profile "seed-prod" allows egress from tier=business to addresses in 203.0.113.0/24 only on port 443; narrow spec.egress[0].ports',
    ],
  },
  {
    name: 'configured: the CIDR grant is for business, not db',
    config: widened,
    spec: { podSelector: tier('db'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443 }] }] },
    refused: [`would allow egress from tier=db pods to addresses in 203.0.113.0/24 on port 443; ${seedEgress('tier=db')}; narrow spec.egress[0].to`],
  },
];

function request(spec: NetworkPolicySpec, name: string, options: { operation?: 'CREATE' | 'UPDATE'; oldSpec?: NetworkPolicySpec; userInfo?: UserInfo } = {}): AdmissionRequest {
  return admissionRequest('NetworkPolicy', {
    operation: options.operation ?? 'CREATE',
    object: networkPolicy(name, spec),
    ...(options.oldSpec === undefined ? {} : { oldObject: networkPolicy(name, options.oldSpec) }),
    ...(options.userInfo === undefined ? {} : { userInfo: options.userInfo }),
  });
}

function clusterWith(profile: string): ReturnType<typeof fakeCluster> {
  return fakeCluster({ namespaces: { 'products-prod': { labels: { 'netpol-hygiene.io/profile': profile } } } });
}

t.test('NP-CEILING refuses every bypass, allows what fits, with exact messages', async (t) => {
  for (const c of [...bypasses, ...allowed, ...configured]) {
    const name = c.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40).replace(/^-|-$/g, '');
    const decision = validate([npCeiling], request(c.spec, name), context(clusterWith(c.profile ?? 'seed-prod'), c.config ?? defaultConfig));
    t.strictSame(decision, { violations: c.refused.map((body) => ({ rule: 'NP-CEILING', message: refusal(name, body) })), reasons: [] }, c.name);
  }
});

t.test("every profile's baseline is within its own ceiling", async (t) => {
  for (const profileName of Object.keys(defaultConfig.profiles)) {
    for (const policy of renderBaseline('products-prod', profileNamed(defaultConfig, profileName)!, defaultConfig)) {
      const unmanaged = { ...policy, metadata: { name: policy.metadata?.name, namespace: 'products-prod' } } as KubeObject;
      const decision = validate([npCeiling], admissionRequest('NetworkPolicy', { object: unmanaged }), context(clusterWith(profileName)));
      t.strictSame(decision.violations, [], `${profileName}: ${policy.metadata?.name}`);
    }
  }
});

t.test('UPDATE: judged when the spec changes, not for metadata alone', async (t) => {
  const narrow = toDb([{ from: [fromBusiness], ports: [{ port: 8082 }] }]);
  const wide = toDb([{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }]);
  const cluster = clusterWith('seed-prod');
  const widening = validate([npCeiling], request(wide, 'db-in', { operation: 'UPDATE', oldSpec: narrow }), context(cluster));
  t.strictSame(widening.violations, [{ rule: 'NP-CEILING', message: refusal('db-in', `would allow ingress to tier=db pods from any pod in any namespace on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`) }], 'an UPDATE that widens');
  t.strictSame(validate([npCeiling], request(narrow, 'db-in', { operation: 'UPDATE', oldSpec: wide }), context(cluster)), { violations: [], reasons: [] }, 'an UPDATE that narrows into the ceiling');
  t.strictSame(validate([npCeiling], request(wide, 'db-in', { operation: 'UPDATE', oldSpec: wide }), context(cluster)), { violations: [], reasons: [] }, 'a metadata-only UPDATE of a policy above the ceiling');
});

t.test('who is not judged: DELETE, the webhook itself; admins are allowed and recorded', async (t) => {
  const wide = toDb([{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }]);
  const cluster = clusterWith('seed-prod');
  const deletion = admissionRequest('NetworkPolicy', { operation: 'DELETE', oldObject: networkPolicy('open-db', wide) });
  t.strictSame(validate([npCeiling], deletion, context(cluster)), { violations: [], reasons: [] }, 'DELETE');
  t.strictSame(validate([npCeiling], request(wide, 'open-db', { userInfo: users.webhook }), context(unavailableCluster())), { violations: [], reasons: [] }, 'the webhook, without reading the cluster');
  t.strictSame(
    validate([npCeiling], request(wide, 'open-db', { userInfo: users.admin }), context(cluster)),
    {
      violations: [],
      reasons: [`allowed for admin group system:masters: ${refusal('open-db', `would allow ingress to tier=db pods from any pod in any namespace on port 8082; ${seedProdDb}; narrow spec.ingress[0].from`)}`],
    },
    'an admin: allowed, the widening recorded',
  );
  t.strictSame(validate([npCeiling], request(wide, 'open-db', { userInfo: users.admin }), context(unavailableCluster())), { violations: [], reasons: [] }, 'an admin while the caches are not synced');
  t.throws(() => validate([npCeiling], request(wide, 'open-db'), context(unavailableCluster())), { name: 'ClusterStateUnavailableError' }, 'a developer while the caches are not synced: fail closed');
});

t.test('a namespace without a profile label is judged by the default profile', async (t) => {
  const stageToDb = toDb([{ from: [{ namespaceSelector: namespaceNamed('products-stage'), podSelector: tier('business') }], ports: [{ port: 8082 }] }]);
  const decision = validate([npCeiling], request(stageToDb, 'stage-db'), context(fakeCluster()));
  t.strictSame(decision.violations.map((v) => v.message), [
    refusal('stage-db', 'would allow ingress to tier=db pods from tier=business pods in products-stage on port 8082; profile "seed" allows ingress to tier=db only from tier=business in products-prod; narrow spec.ingress[0].from'),
  ]);
});

t.test('NP-GUARD and NP-CEILING together: a developer allow-all that claims the managed-by label', async (t) => {
  const object = networkPolicy('allow-all', { podSelector: {}, ingress: [{}] }, { 'app.kubernetes.io/managed-by': 'netpol-hygiene' });
  const decision = validate(registeredRules, admissionRequest('NetworkPolicy', { object }), context(clusterWith('seed')));
  t.strictSame(decision.violations.map((v) => v.rule), ['NP-GUARD', 'NP-CEILING']);
  t.match(decision.violations[1]?.message, /^NP-CEILING: NetworkPolicy "allow-all" in namespace "products-prod" would allow ingress to tier=ui pods from anywhere on any port;/);
});

t.test('a policy too large to judge is refused before it is parsed', async (t) => {
  const peers = Array.from({ length: 10_001 }, (_, i) => ({ podSelector: { matchLabels: { app: `a${i}` } } }));
  const decision = validate([npCeiling], request({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: peers }] }, 'huge'), context(clusterWith('seed-prod')));
  t.strictSame(decision.violations.map((v) => v.message), [
    refusal('huge', 'cannot be judged against profile "seed-prod": it has more than 10000 peers, namespaces, tiers and address ranges to judge across its rules; split it into smaller policies'),
  ]);
  const fewer = validate([npCeiling], request({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: peers.slice(0, 2000) }] }, 'big'), context(clusterWith('seed-prod')));
  t.strictSame(fewer.violations, [], 'split once for every tier: 2,000 peers for 4 kinds of pod cost the budget what they cost for one');
  const names = Array.from({ length: 4000 }, (_, i) => `ns-${i}`);
  const tiers = Array.from({ length: 4000 }, (_, i) => `t-${i}`);
  const crossed = { namespaceSelector: { matchExpressions: [{ key: nameLabel, operator: 'In', values: names }] }, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: tiers }] } };
  const cross = validate([npCeiling], request(toDb([{ from: [crossed] }]), 'crossed'), context(clusterWith('seed-prod')));
  t.match(cross.violations[0]?.message, /^NP-CEILING: NetworkPolicy "crossed" in namespace "products-prod" cannot be judged against profile "seed-prod": it has more than 10000 /, '4,000 namespaces × 4,000 tiers: charged before 16 million pieces are made');
  const fits = validate([npCeiling], request({ podSelector: tier('ui'), policyTypes: ['Egress'], egress: [{ to: peers.slice(0, 2000) }] }, 'fits'), context(clusterWith('seed-prod')));
  t.strictSame(fits.violations, [], '2,000 peers for one tier');
});
