// DESIGN.md "Tier inference (first match wins)": label, annotation, config rules, namespace
// default, config default, none. An invalid value stops the search at the source that gave it.
import t from 'tap';
import type { KubeObject } from '../../src/kube/admission-review.ts';
import type { Config } from '../../src/config/types.ts';
import { type TierInference, globMatches, inferTier } from '../../src/policy/tier-inference.ts';
import { configWith, defaultConfig, podObject } from './helpers.ts';

const rulesConfig = configWith({
  tierRules: [
    { name: 'orders-api', tier: 'business', match: { labels: { app: 'orders', component: 'api' } } },
    { name: 'web-frontends', tier: 'ui', match: { images: ['*/nginx:*'] } },
    { name: 'postgres', tier: 'db', match: { ports: [5432] } },
    { name: 'billing-sa', tier: 'business', match: { serviceAccounts: ['billing'] } },
    { name: 'default-sa-in-tools', tier: 'ui', match: { serviceAccounts: ['default'], namespaces: ['tools'] } },
    { name: 'data-namespace', tier: 'db', match: { namespaces: ['products-data'] } },
    { name: 'redis-image-and-port', tier: 'db', match: { images: ['*redis*'], ports: [6379] } },
  ],
});
const withDefaultTier = configWith({ defaultTier: 'business' });
const slashKeyConfig = configWith({ tierLabel: { key: 'example.com/tier', values: ['ui', 'business', 'db'] } });

const app = { name: 'app', image: 'registry.example.com/products/app:1.0.0' };

interface Case {
  readonly name: string;
  readonly pod: KubeObject;
  readonly namespace?: string;
  /** The namespace's labels as the cluster knows them; undefined: the namespace is not known. */
  readonly namespaceLabels?: Record<string, string>;
  readonly config?: Config;
  readonly expected: TierInference;
  /** Whether the namespace had to be looked up (only when label, annotation and rules are silent). */
  readonly readsNamespace: boolean;
}

const cases: readonly Case[] = [
  // 1. the pod's own label
  {
    name: 'label: a valid tier label is kept',
    pod: podObject({ labels: { tier: 'db' }, annotations: { 'netpol-hygiene.io/tier': 'ui' }, containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27' }] }),
    config: rulesConfig,
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'ui' },
    expected: { kind: 'found', tier: 'db', source: 'label' },
    readsNamespace: false,
  },
  {
    name: 'label: an invalid value is reported even when the annotation is valid',
    pod: podObject({ labels: { tier: 'frontend' }, annotations: { 'netpol-hygiene.io/tier': 'ui' } }),
    expected: { kind: 'invalid', value: 'frontend', source: 'label' },
    readsNamespace: false,
  },
  {
    name: 'label: an empty value is invalid',
    pod: podObject({ labels: { tier: '' } }),
    expected: { kind: 'invalid', value: '', source: 'label' },
    readsNamespace: false,
  },
  {
    name: 'label: values are case-sensitive',
    pod: podObject({ labels: { tier: 'UI' } }),
    expected: { kind: 'invalid', value: 'UI', source: 'label' },
    readsNamespace: false,
  },
  {
    name: 'label: the configured key with a prefix (example.com/tier)',
    pod: podObject({ labels: { 'example.com/tier': 'business', tier: 'nonsense' } }),
    config: slashKeyConfig,
    expected: { kind: 'found', tier: 'business', source: 'label' },
    readsNamespace: false,
  },
  // 2. the netpol-hygiene.io/tier annotation
  {
    name: 'annotation: used when there is no label, before any rule',
    pod: podObject({ annotations: { 'netpol-hygiene.io/tier': 'ui' }, containers: [{ name: 'pg', image: 'postgres:17', ports: [5432] }] }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'ui', source: 'annotation' },
    readsNamespace: false,
  },
  {
    name: 'annotation: an invalid value is reported although a rule would match',
    pod: podObject({ annotations: { 'netpol-hygiene.io/tier': 'cache' }, containers: [{ name: 'pg', image: 'postgres:17', ports: [5432] }] }),
    config: rulesConfig,
    expected: { kind: 'invalid', value: 'cache', source: 'annotation' },
    readsNamespace: false,
  },
  {
    name: 'annotation: the default tier key is not read when the label key is custom',
    pod: podObject({ labels: { tier: 'ui' }, annotations: { 'netpol-hygiene.io/tier': 'db' } }),
    config: slashKeyConfig,
    expected: { kind: 'found', tier: 'db', source: 'annotation' },
    readsNamespace: false,
  },
  // 3. config rules, in order
  {
    name: 'rule by labels: every listed label equal',
    pod: podObject({ labels: { app: 'orders', component: 'api', version: 'v2' } }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'business', source: 'rule:orders-api' },
    readsNamespace: false,
  },
  {
    name: 'rule by labels: one label different is no match, and nothing else decides',
    pod: podObject({ labels: { app: 'orders', component: 'worker' } }),
    config: rulesConfig,
    namespaceLabels: {},
    expected: { kind: 'none' },
    readsNamespace: true,
  },
  {
    name: 'rule by image glob: any container matches (the sidecar here)',
    pod: podObject({ containers: [app, { name: 'proxy', image: 'docker.io/library/nginx:1.27.3' }] }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'ui', source: 'rule:web-frontends' },
    readsNamespace: false,
  },
  {
    name: 'rule by image glob: */nginx:* needs a registry path, bare nginx:1.27 does not match',
    pod: podObject({ containers: [{ name: 'web', image: 'nginx:1.27' }] }),
    config: rulesConfig,
    namespaceLabels: {},
    expected: { kind: 'none' },
    readsNamespace: true,
  },
  {
    name: 'rule by ports: any containerPort of any container',
    pod: podObject({ containers: [{ name: 'exporter', image: 'exporter:1', ports: [9187] }, { name: 'pg', image: 'registry.example.com/pg:17', ports: [5432] }] }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'db', source: 'rule:postgres' },
    readsNamespace: false,
  },
  {
    name: 'rule by serviceAccounts',
    pod: podObject({ serviceAccountName: 'billing' }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'business', source: 'rule:billing-sa' },
    readsNamespace: false,
  },
  {
    name: 'rule by serviceAccounts: no serviceAccountName means "default"',
    pod: podObject(),
    namespace: 'tools',
    config: rulesConfig,
    expected: { kind: 'found', tier: 'ui', source: 'rule:default-sa-in-tools' },
    readsNamespace: false,
  },
  {
    name: 'rule by namespaces',
    pod: podObject({ serviceAccountName: 'loader' }),
    namespace: 'products-data',
    config: rulesConfig,
    expected: { kind: 'found', tier: 'db', source: 'rule:data-namespace' },
    readsNamespace: false,
  },
  {
    name: 'rule with several matchers: all must match (image matches, port does not)',
    pod: podObject({ containers: [{ name: 'cache', image: 'docker.io/bitnami/redis:7', ports: [6380] }] }),
    config: rulesConfig,
    namespaceLabels: {},
    expected: { kind: 'none' },
    readsNamespace: true,
  },
  {
    name: 'rule with several matchers: all match',
    pod: podObject({ containers: [{ name: 'cache', image: 'docker.io/bitnami/redis:7', ports: [6379] }] }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'db', source: 'rule:redis-image-and-port' },
    readsNamespace: false,
  },
  {
    name: 'rules: the first matching rule wins (web-frontends before postgres)',
    pod: podObject({ containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27', ports: [5432] }] }),
    config: rulesConfig,
    expected: { kind: 'found', tier: 'ui', source: 'rule:web-frontends' },
    readsNamespace: false,
  },
  {
    name: 'rules: a rule match is used before the namespace default',
    pod: podObject({ serviceAccountName: 'billing' }),
    config: rulesConfig,
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'ui' },
    expected: { kind: 'found', tier: 'business', source: 'rule:billing-sa' },
    readsNamespace: false,
  },
  // 4. the namespace's default tier
  {
    name: 'namespace default: netpol-hygiene.io/default-tier',
    pod: podObject(),
    config: withDefaultTier,
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'db' },
    expected: { kind: 'found', tier: 'db', source: 'namespace-default' },
    readsNamespace: true,
  },
  {
    name: 'namespace default: an invalid value is reported, the config default is not used',
    pod: podObject(),
    config: withDefaultTier,
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'frontend' },
    expected: { kind: 'invalid', value: 'frontend', source: 'namespace-default' },
    readsNamespace: true,
  },
  // 5. the config's default tier
  {
    name: 'config default: the namespace has no default-tier label',
    pod: podObject(),
    config: withDefaultTier,
    namespaceLabels: { 'netpol-hygiene.io/profile': 'seed' },
    expected: { kind: 'found', tier: 'business', source: 'default' },
    readsNamespace: true,
  },
  {
    name: 'config default: the namespace is not known to the cluster state',
    pod: podObject(),
    config: withDefaultTier,
    expected: { kind: 'found', tier: 'business', source: 'default' },
    readsNamespace: true,
  },
  // 6. nothing
  {
    name: 'none: no label, annotation, rule, namespace default or config default',
    pod: podObject(),
    namespaceLabels: { 'netpol-hygiene.io/profile': 'seed' },
    expected: { kind: 'none' },
    readsNamespace: true,
  },
  {
    name: 'none: a pod without metadata labels, annotations or containers',
    pod: { apiVersion: 'v1', kind: 'Pod' },
    expected: { kind: 'none' },
    readsNamespace: true,
  },
];

t.test('inferTier', async (t) => {
  for (const c of cases) {
    const lookups: string[] = [];
    const namespaceLabels = (): Record<string, string> | undefined => {
      lookups.push('namespace');
      return c.namespaceLabels;
    };
    const got = inferTier(c.pod, c.namespace ?? 'products-prod', namespaceLabels, c.config ?? defaultConfig);
    t.strictSame(got, c.expected, c.name);
    t.strictSame(lookups, c.readsNamespace ? ['namespace'] : [], `${c.name}: namespace labels read ${c.readsNamespace ? 'once' : 'never'}`);
  }
});

t.test('globMatches', async (t) => {
  const cases: readonly [glob: string, value: string, expected: boolean][] = [
    ['*nginx*', 'docker.io/library/nginx:1.27', true],
    ['*/nginx:*', 'docker.io/library/nginx:1.27', true],
    ['*/nginx:*', 'nginx:1.27', false],
    ['nginx*', 'nginx:1.27', true],
    ['nginx*', 'docker.io/library/nginx:1.27', false],
    ['nginx', 'nginx', true],
    ['nginx', 'nginx:1.27', false],
    ['*', '', true],
    ['postgres:1?', 'postgres:17', true],
    ['postgres:1?', 'postgres:170', false],
    ['NGINX*', 'nginx:1.27', false],
    // Regular-expression characters in a glob are literal.
    ['registry.example.com/*', 'registryXexample.com/app:1', false],
    ['registry.example.com/*', 'registry.example.com/app:1', true],
    ['app+(v2)', 'app+(v2)', true],
    ['app+(v2)', 'appp(v2)', false],
    ['[abc]', 'a', false],
    ['[abc]', '[abc]', true],
    ['img@sha256:*', 'img@sha256:0123abcd', true],
  ];
  for (const [glob, value, expected] of cases) {
    t.equal(globMatches(glob, value), expected, `${glob} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}`);
    t.equal(globMatches(glob, value), expected, `${glob} vs ${JSON.stringify(value)} again (cached pattern)`);
  }
});
