// Red-team F1–F4: one NetworkPolicy a developer can `kubectl apply` must not crash or freeze
// the webhook. Each hostile shape is refused as too large to judge, or judged with a message of
// a few KB, within 100 ms; the reconciler's report of a stored one is as small. Ordinary
// large policies (generated allow-lists) sit beside them: judged, not refused, well within it.
import t from 'tap';
import { CeilingReporter } from '../../src/cluster/ceiling-reporter.ts';
import type { NetworkPolicyPeer, NetworkPolicySpec } from '../../src/kube/network-policy.ts';
import { npCeiling } from '../../src/policy/rules/np-ceiling.ts';
import type { Config } from '../../src/config/types.ts';
import { profileNamed } from '../../src/config/profiles.ts';
import { admissionRequest, configWith, context, defaultConfig, fakeCluster, networkPolicy, recordingAudit } from './helpers.ts';
import { validate } from './rules/ask.ts';

const range = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));
const tier = (value: string): { matchLabels: Record<string, string> } => ({ matchLabels: { tier: value } });
const nameLabel = 'kubernetes.io/metadata.name';
const subject = 'NP-CEILING: NetworkPolicy "hostile" in namespace "products-prod"';
const admins = 'or ask a member of system:masters';
const tooLarge = `${subject} cannot be judged against profile "seed-prod": it has more than 10000 peers, namespaces, tiers and address ranges to judge across its rules; split it into smaller policies, ${admins}`;
const uiFromAnywhere = (rule: number, ports: string): string =>
  `${subject} would allow ingress to tier=ui pods from anywhere on ${ports}; profile "seed-prod" allows ingress to tier=ui from anywhere only on port 8080; narrow spec.ingress[${rule}].ports, ${admins}`;
const seedProdDb = 'profile "seed-prod" allows ingress to tier=db only from tier=business in products-prod and products-stage';

/** Egress from ui to pods of `tiers` tiers in any namespace whose app is none of 100 values. */
function tiersTimesValues(tiers: number): NetworkPolicySpec {
  const pods = { matchExpressions: [{ key: 'tier', operator: 'In', values: range(tiers, (i) => `t${i}`) }, { key: 'app', operator: 'NotIn', values: range(100, (i) => `a${i}`) }] };
  return { podSelector: tier('ui'), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {}, podSelector: pods }] }] };
}

interface Case {
  readonly name: string;
  readonly spec: NetworkPolicySpec;
  /** The exact messages; empty: allowed. */
  readonly messages: readonly string[];
  readonly config?: Config;
  /** Its bound, when tighter than the 100 ms every shape gets: an ordinary policy's. */
  readonly withinMs?: number;
}

/** seed-prod with `ceiling` as admins would write it in the config. */
const seedProdWith = (ceiling: { ingress: unknown[]; egress: unknown[] }): Config =>
  configWith({ profiles: { ...defaultConfig.profiles, 'seed-prod': { ...profileNamed(defaultConfig, 'seed-prod'), ceiling } } });

/** business may reach 20 CIDRs on 443: every address piece is compared with 20 more grants. */
const twentyCidrs = seedProdWith({ ingress: [], egress: range(20, (i) => ({ tiers: ['business'], to: [{ cidr: `10.${i}.0.0/16` }], ports: [{ port: 443 }] })) });

/** Every pod may reach 10.0.0.0/8 on 443: the services a team's pods call. */
const servicesNet = seedProdWith({ ingress: [], egress: [{ to: [{ cidr: '10.0.0.0/8' }], ports: [{ port: 443 }] }] });

/** Only pods of the three tiers may reach 10.0.0.0/8 on 443; podSelector {} also selects pods without a valid tier. */
const servicesNetForTiers = seedProdWith({ ingress: [], egress: [{ tiers: ['ui', 'business', 'db'], to: [{ cidr: '10.0.0.0/8' }], ports: [{ port: 443 }] }] });

/** Every pod may be reached from, or reach, 20 CIDRs on 443: each tier of podSelector {} has its own grants, and the same cuts. */
const twentyCidrsForEveryPod = seedProdWith({
  ingress: range(20, (i) => ({ from: [{ cidr: `10.${i}.0.0/16` }], ports: [{ port: 443 }] })),
  egress: range(20, (i) => ({ to: [{ cidr: `10.${i}.0.0/16` }], ports: [{ port: 443 }] })),
});

/** A team's egress on 443 from every pod: 2,500 peers, alternately a /24 of 10.0.0.0/8 and one app of one namespace. */
const teamEgress = (last?: NetworkPolicyPeer): NetworkPolicySpec => {
  const peers = range(2500, (i): NetworkPolicyPeer => (i % 2 === 0 ? { ipBlock: { cidr: `10.${i >> 8}.${i % 256}.0/24` } } : { namespaceSelector: { matchLabels: { [nameLabel]: `team-${i}` } }, podSelector: { matchLabels: { app: `api-${i}` } } }));
  return { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: last === undefined ? peers : [...peers.slice(0, -1), last], ports: [{ port: 443 }] }] };
};

const cases: readonly Case[] = [
  {
    name: 'F1: 40,000 empty ingress and egress rules (240 KB)',
    spec: { podSelector: {}, ingress: range(40_000, () => ({})), egress: range(40_000, () => ({})) },
    messages: [tooLarge],
  },
  {
    name: 'F1: 3,000 empty ingress rules: five described, the rest counted',
    spec: { podSelector: tier('ui'), ingress: range(3000, () => ({})) },
    messages: [
      ...range(5, (rule) => uiFromAnywhere(rule, 'any port')),
      `${subject} has 2995 more rules beyond profile "seed-prod", not described here: spec.ingress[5], spec.ingress[6], spec.ingress[7], spec.ingress[8], spec.ingress[9] and 2990 more; narrow them as well, ${admins}`,
    ],
  },
  {
    name: 'F1: 9,999 empty rules fit the count written, not the pieces they make',
    spec: { podSelector: tier('ui'), ingress: range(9999, () => ({})) },
    messages: [tooLarge],
  },
  {
    name: 'F2: 8,000 distinct ports to the cluster (within the ceiling)',
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }], ports: range(8000, (i) => ({ port: 1 + 2 * i })) }] },
    messages: [],
  },
  {
    name: 'F2: 9,000 distinct ports from anywhere: the first five named',
    spec: { podSelector: tier('ui'), policyTypes: ['Ingress'], ingress: [{ ports: range(9000, (i) => ({ port: 1 + 2 * i })) }] },
    messages: [uiFromAnywhere(0, 'port 1, port 3, port 5, port 7, port 9 and 8995 more')],
  },
  {
    name: 'F2: 16,000 distinct ports (480 KB)',
    spec: { podSelector: tier('ui'), policyTypes: ['Ingress'], ingress: [{ ports: range(16_000, (i) => ({ port: 1 + 2 * (i % 32_000) })) }] },
    messages: [tooLarge],
  },
  {
    name: 'F3: 4,000 NotIn expressions on spec.podSelector, deny only',
    spec: { podSelector: { matchExpressions: range(4000, (i) => ({ key: 'tier', operator: 'NotIn', values: [`x${i}`] })) }, policyTypes: ['Ingress'] },
    messages: [],
  },
  {
    name: 'F3: 16,000 NotIn expressions on spec.podSelector (880 KB)',
    spec: { podSelector: { matchExpressions: range(16_000, (i) => ({ key: 'tier', operator: 'NotIn', values: [`x${i}`] })) }, policyTypes: ['Ingress'] },
    messages: [tooLarge],
  },
  {
    name: 'F4: 4,900 namespace names × pods NotIn 5,000 values (within the ceiling)',
    spec: {
      podSelector: tier('ui'),
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchExpressions: [{ key: nameLabel, operator: 'In', values: range(4900, (i) => `ns${i}`) }] },
              podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: range(5000, (i) => `v${i}`) }] },
            },
          ],
        },
      ],
    },
    messages: [],
  },
  {
    name: 'F4: 90 tiers × a selector of 100 more values (within the ceiling)',
    spec: tiersTimesValues(90),
    messages: [],
  },
  {
    name: 'F4: 100 tiers × a selector of 100 more values: each tier compares the other 100 once',
    spec: tiersTimesValues(100),
    messages: [tooLarge],
  },
  {
    name: 'F4: a peer of 9,990 tiers',
    spec: { podSelector: tier('ui'), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: range(9990, (i) => `t${i}`) }] } }] }] },
    messages: [],
  },
  {
    name: 'a peer selector of 5,000 values: the first five quoted',
    spec: { podSelector: tier('db'), ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: range(5000, (i) => `v${i}`) }] } }], ports: [{ port: 8082 }] }] },
    messages: [`${subject} would allow ingress to tier=db pods from app notin (v0,v1,v2,v3,v4 and 4995 more) pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from, ${admins}`],
  },
  {
    name: 'a peer of 20 requirements: the first five quoted',
    spec: { podSelector: tier('db'), ingress: [{ from: [{ podSelector: { matchLabels: Object.fromEntries(range(20, (i) => [`k${i}`, 'v'])) } }], ports: [{ port: 8082 }] }] },
    messages: [`${subject} would allow ingress to tier=db pods from k0=v,k1=v,k2=v,k3=v,k4=v and 15 more requirements pods in products-prod on port 8082; ${seedProdDb}; narrow spec.ingress[0].from, ${admins}`],
  },
  {
    name: 'an ipBlock with 20 except entries: the first five quoted',
    spec: { podSelector: tier('db'), ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: range(20, (i) => `10.${i}.0.0/16`) } }], ports: [{ port: 8082 }] }] },
    messages: [
      `${subject} would allow ingress to tier=db pods from addresses in 0.0.0.0/0 except 10.0.0.0/16, 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16, 10.4.0.0/16 and 15 more on port 8082; ${seedProdDb}; narrow spec.ingress[0].from, ${admins}`,
    ],
  },
  {
    name: 'the slowest found within the budget: 3,300 ipBlock peers under a ceiling of 20 CIDRs',
    spec: { podSelector: tier('business'), policyTypes: ['Egress'], egress: [{ to: range(3300, (i) => ({ ipBlock: { cidr: `10.${i % 20}.${i % 256}.0/24` } })), ports: [{ port: 443 }] }] },
    messages: [],
    config: twentyCidrs,
  },
  {
    name: 'podSelector {} and 2,500 pods of named namespaces (within the ceiling): each peer charged once, not once per tier',
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: range(2500, (i) => ({ namespaceSelector: { matchLabels: { [nameLabel]: `team-${i}` } }, podSelector: { matchLabels: { app: 'api' } } })), ports: [{ port: 443 }] }] },
    messages: [],
    withinMs: 50,
  },
  {
    name: 'podSelector {} and 2,500 ipBlock and pod peers (within the ceiling)',
    spec: teamEgress(),
    messages: [],
    config: servicesNet,
    withinMs: 50,
  },
  {
    name: 'podSelector {} and 2,500 peers, the last beyond the ceiling: the usual message, not too large',
    spec: teamEgress({ ipBlock: { cidr: '192.168.0.0/24' } }),
    messages: [
      `${subject} would allow egress from tier=ui pods to addresses in 192.168.0.0/24 on port 443; profile "seed-prod" allows egress from tier=ui only to k8s-app=kube-dns in kube-system, any pod in any namespace, addresses in 10.0.0.0/8; narrow spec.podSelector or spec.egress[0].to, ${admins}`,
    ],
    config: servicesNet,
    withinMs: 50,
  },
  {
    name: 'podSelector {} and 2,500 peers beyond the ceiling only for pods without a tier (the fourth judged): the usual message, not too large',
    spec: teamEgress(),
    messages: [
      `${subject} would allow egress from pods without a valid tier label to addresses in 10.0.0.0/24 on port 443; profile "seed-prod" allows egress from pods without a valid tier label only to k8s-app=kube-dns in kube-system, any pod in any namespace; narrow spec.podSelector or spec.egress[0].to, ${admins}`,
    ],
    config: servicesNetForTiers,
    withinMs: 50,
  },
  {
    name: 'podSelector {} and 4,990 ipBlock peers under 20 CIDRs for every pod: split once, judged for four tiers',
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: range(4990, (i) => ({ ipBlock: { cidr: `10.${i % 20}.${i % 256}.${i >> 8}/32` } })), ports: [{ port: 443 }] }] },
    messages: [],
    config: twentyCidrsForEveryPod,
  },
  {
    name: 'podSelector {} and 5,001 ipBlock peers: the peers alone are over the budget',
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: range(5001, (i) => ({ ipBlock: { cidr: `10.${i % 20}.${i % 256}.${i >> 8}/32` } })), ports: [{ port: 443 }] }] },
    messages: [tooLarge],
    config: twentyCidrsForEveryPod,
  },
  {
    name: 'an ipBlock with 9,990 except entries',
    spec: { podSelector: tier('db'), ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: range(9990, (i) => `10.${i % 256}.${Math.floor(i / 256)}.1/32`) } }], ports: [{ port: 8082 }] }] },
    messages: [tooLarge],
  },
];

const cluster = fakeCluster({ namespaces: { 'products-prod': { labels: { 'netpol-hygiene.io/profile': 'seed-prod' } } } });
const judge = ({ spec, config = defaultConfig }: Case): readonly string[] =>
  validate([npCeiling], admissionRequest('NetworkPolicy', { object: networkPolicy('hostile', spec) }), context(cluster, config)).violations.map((v) => v.message);

/** Best of three, so a busy machine's pauses do not count: the work itself is what is bounded. */
function fastest(run: () => void): number {
  return Math.min(
    ...range(3, () => {
      const start = performance.now();
      run();
      return performance.now() - start;
    }),
  );
}

t.test('each hostile shape is refused as too large or judged with a bounded message, within 100 ms', async (t) => {
  for (const c of cases) {
    const messages = judge(c);
    t.strictSame(messages, c.messages, c.name);
    t.ok(messages.join('\n').length < 4096, `${c.name}: a message of a few KB`);
    const ms = fastest(() => judge(c));
    t.ok(ms < (c.withinMs ?? 100), `${c.name}: judged in ${ms.toFixed(0)} ms`);
  }
});

t.test('the reconciler reports a stored policy of 40,000 rules in one short message', async (t) => {
  const audit = recordingAudit();
  const events: string[] = [];
  const huge = networkPolicy('hostile', { podSelector: {}, ingress: range(40_000, () => ({})), egress: range(40_000, () => ({})) });
  const reporter = new CeilingReporter({
    config: defaultConfig,
    cache: { namespaces: { get: () => ({ name: 'products-prod', labels: { 'netpol-hygiene.io/profile': 'seed-prod' }, terminating: false }) }, policies: { list: () => [huge] } },
    audit,
    events: { recordEvent: async (_namespace, _reason, text) => void events.push(text) },
  });
  t.strictSame(reporter.check('products-prod', 'start-up backfill'), ['hostile']);
  t.strictSame(events, [tooLarge]);
});
