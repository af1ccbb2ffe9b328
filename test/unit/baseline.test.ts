// DESIGN.md "Baseline profile": what is created in every governed namespace.
import t from 'tap';
import type { Config, Profile } from '../../src/config/types.ts';
import { profileFor, tierPolicyName } from '../../src/config/profiles.ts';
import { isManaged, renderBaseline } from '../../src/policy/baseline.ts';
import { defaultDenyCoverage } from '../../src/policy/default-deny.ts';
import type { NetworkPolicy, NetworkPolicySpec } from '../../src/kube/network-policy.ts';
import { configWith, defaultConfig } from './helpers.ts';

const managedBy = { 'app.kubernetes.io/managed-by': 'netpol-hygiene' };

function managed(namespace: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace, labels: managedBy }, spec };
}

/** default-deny, allow-dns and allow-cluster-egress: the same in every profile that allows DNS and cluster egress. */
function commonPolicies(namespace: string): NetworkPolicy[] {
  return [
    managed(namespace, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    managed(namespace, 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    }),
    managed(namespace, 'allow-cluster-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] }),
  ];
}

/** The tier chain of the seed, with the tier label key and db's peers as parameters. */
function tierChain(namespace: string, key: string, dbPeers: NonNullable<NetworkPolicySpec['ingress']>[number]['from']): NetworkPolicy[] {
  return [
    managed(namespace, 'allow-ingress-to-ui', {
      podSelector: { matchLabels: { [key]: 'ui' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }],
    }),
    managed(namespace, 'allow-ui-to-business', {
      podSelector: { matchLabels: { [key]: 'business' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { [key]: 'ui' } } }], ports: [{ protocol: 'TCP', port: 8081 }] }],
    }),
    managed(namespace, 'allow-business-to-db', {
      podSelector: { matchLabels: { [key]: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: dbPeers, ports: [{ protocol: 'TCP', port: 8082 }] }],
    }),
  ];
}

function profile(config: Config, name: string): Profile {
  const found = config.profiles[name];
  if (found === undefined) throw new Error(`no profile ${name}`);
  return found;
}

const customKeyConfig = configWith({ tierLabel: { key: 'example.com/tier', values: ['ui', 'business', 'db'] } });

const renderCases: readonly { readonly name: string; readonly namespace: string; readonly profile: Profile; readonly config: Config; readonly expected: NetworkPolicy[] }[] = [
  {
    // The seed's seven policies; its default ingress deny and default egress deny are one
    // policy here (DESIGN.md: `default-deny` with policyTypes [Ingress, Egress]).
    name: 'seed profile: default-deny, allow-dns, allow-cluster-egress, then the tier chain',
    namespace: 'products-stage',
    profile: profile(defaultConfig, 'seed'),
    config: defaultConfig,
    expected: [
      ...commonPolicies('products-stage'),
      ...tierChain('products-stage', 'tier', [{ podSelector: { matchLabels: { tier: 'business' } } }]),
    ],
  },
  {
    name: "seed-prod profile: db also admits products-stage's business tier (one peer with both selectors)",
    namespace: 'products-prod',
    profile: profile(defaultConfig, 'seed-prod'),
    config: defaultConfig,
    expected: [
      ...commonPolicies('products-prod'),
      ...tierChain('products-prod', 'tier', [
        { podSelector: { matchLabels: { tier: 'business' } } },
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'products-stage' } },
          podSelector: { matchLabels: { tier: 'business' } },
        },
      ]),
    ],
  },
  {
    name: 'a tier label key with a prefix (example.com/tier) is used as is in every selector',
    namespace: 'products-prod',
    profile: profile(customKeyConfig, 'seed'),
    config: customKeyConfig,
    expected: [
      ...commonPolicies('products-prod'),
      ...tierChain('products-prod', 'example.com/tier', [{ podSelector: { matchLabels: { 'example.com/tier': 'business' } } }]),
    ],
  },
  {
    name: 'without DNS and cluster egress, no tiers: only default-deny, which is never switched off',
    namespace: 'locked',
    profile: { allowDns: false, allowClusterEgress: false, tiers: [] },
    config: defaultConfig,
    expected: [managed('locked', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
  },
  {
    name: 'a tier without policyName gets allow-ingress-to-<tier>; protocol is kept',
    namespace: 'metrics',
    profile: { allowDns: false, allowClusterEgress: false, tiers: [{ tier: 'db', port: 5432, protocol: 'SCTP', from: [{ tier: 'ui' }] }] },
    config: defaultConfig,
    expected: [
      managed('metrics', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      managed('metrics', 'allow-ingress-to-db', {
        podSelector: { matchLabels: { tier: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'ui' } } }], ports: [{ protocol: 'SCTP', port: 5432 }] }],
      }),
    ],
  },
];

t.test('renderBaseline', async (t) => {
  for (const c of renderCases) {
    t.strictSame(renderBaseline(c.namespace, c.profile, c.config), c.expected, c.name);
  }
});

t.test('the rendered seed baseline is itself an effective default-deny, and managed', async (t) => {
  const policies = renderBaseline('products-prod', profile(defaultConfig, 'seed'), defaultConfig);
  t.strictSame(
    policies.map((p) => p.metadata?.name),
    ['default-deny', 'allow-dns', 'allow-cluster-egress', 'allow-ingress-to-ui', 'allow-ui-to-business', 'allow-business-to-db'],
  );
  t.strictSame(defaultDenyCoverage(policies), { ingress: true, egress: true });
  t.ok(policies.every(isManaged), 'every policy carries app.kubernetes.io/managed-by=netpol-hygiene');
});

t.test('renderBaseline returns fresh objects: editing one render does not change the next', async (t) => {
  const first = renderBaseline('products-prod', profile(defaultConfig, 'seed'), defaultConfig);
  (first[0]?.metadata?.labels as Record<string, string>)['edited'] = 'yes';
  const second = renderBaseline('products-prod', profile(defaultConfig, 'seed'), defaultConfig);
  t.strictSame(second[0]?.metadata?.labels, managedBy);
});

t.test('tierPolicyName', async (t) => {
  t.equal(tierPolicyName({ tier: 'ui', port: 8080, from: 'anywhere', policyName: 'web-in' }), 'web-in');
  t.equal(tierPolicyName({ tier: 'ui', port: 8080, from: 'anywhere' }), 'allow-ingress-to-ui');
});

t.test('profileFor: the labelled profile when configured, else the default', async (t) => {
  const cases: readonly { readonly name: string; readonly labels: Record<string, string> | undefined; readonly expected: string }[] = [
    { name: 'namespace unknown (no labels)', labels: undefined, expected: 'seed' },
    { name: 'no profile label', labels: { team: 'products' }, expected: 'seed' },
    { name: 'configured profile', labels: { 'netpol-hygiene.io/profile': 'seed-prod' }, expected: 'seed-prod' },
    { name: 'unknown profile falls back to the default', labels: { 'netpol-hygiene.io/profile': 'strict' }, expected: 'seed' },
    { name: 'the opt-out value is no profile', labels: { 'netpol-hygiene.io/profile': 'none' }, expected: 'seed' },
    // A valid label value that is also an Object.prototype member is not a configured profile.
    { name: 'a prototype member name (constructor) is not a profile', labels: { 'netpol-hygiene.io/profile': 'constructor' }, expected: 'seed' },
  ];
  for (const c of cases) {
    const { name, profile: chosen } = profileFor(c.labels, defaultConfig);
    t.equal(name, c.expected, c.name);
    t.equal(chosen, defaultConfig.profiles[c.expected], `${c.name}: the profile object`);
  }
});

t.test('isManaged', async (t) => {
  const cases: readonly { readonly name: string; readonly policy: Parameters<typeof isManaged>[0]; readonly expected: boolean }[] = [
    { name: 'null (object of a DELETE)', policy: null, expected: false },
    { name: 'undefined', policy: undefined, expected: false },
    { name: 'no labels', policy: { metadata: {} }, expected: false },
    { name: 'managed by someone else', policy: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm' } } }, expected: false },
    { name: 'managed by netpol-hygiene', policy: { metadata: { labels: managedBy } }, expected: true },
  ];
  for (const c of cases) t.equal(isManaged(c.policy), c.expected, c.name);
});
