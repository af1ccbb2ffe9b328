// DESIGN.md "Admission behaviour", POD-TIER entitlement: a pod may carry a tier only if the
// config entitles its service account, namespace or images to it.
import t from 'tap';
import type { AdmissionRequest, KubeObject } from '../../../src/kube/admission-review.ts';
import type { Config } from '../../../src/config/types.ts';
import { podTier, podTierThroughEphemeralContainers } from '../../../src/policy/rules/pod-tier.ts';
import { type Worded as Violation, validate } from './ask.ts';
import { admissionRequest, configWith, context, defaultConfig, fakeCluster, managedDefaultDeny, type PodOptions, podObject } from '../helpers.ts';

const postgres = 'registry.example.com/products/postgres:16.4';
const app = 'registry.example.com/products/app:1.0.0';

const entitled = configWith({
  tierEntitlements: {
    db: [{ serviceAccounts: ['products-db'], namespaces: ['products-prod'] }, { images: ['registry.example.com/products/postgres:*'] }],
    business: [{ namespaces: ['products-prod', 'products-stage'] }],
  },
  tierRules: [{ name: 'postgres-images', tier: 'db', match: { images: ['*/postgres:*'] } }],
});

const dbOnly = 'tier=db is only for service account products-db in products-prod, or pods with images matching registry.example.com/products/postgres:*';
const fix = 'run it as such a pod, carry another tier it is entitled to (tier=ui, tier=business), or have it entitled in the netpol-hygiene config (tierEntitlements)';

interface Refused {
  readonly namespace?: string;
  readonly source?: string;
  readonly account?: string;
  readonly images?: string;
  readonly rest?: string;
}

/** The refusal of pod "app" claiming tier=db. */
const refusal = ({ namespace = 'products-prod', source = 'label', account = 'default', images = app, rest = `${dbOnly}; ${fix}` }: Refused = {}): Violation => ({
  rule: 'POD-TIER',
  message: `POD-TIER: pod "app" in namespace "${namespace}" would carry tier=db (from ${source}), which its service account "${account}" and images ${images} are not entitled to; ${rest}`,
});

interface Case {
  readonly name: string;
  readonly pod: PodOptions;
  readonly namespace?: string;
  readonly config?: Config;
  readonly violations: readonly Violation[];
}

const dbLabel = { tier: 'db' };

const creates: readonly Case[] = [
  { name: 'the built-in config leaves every tier open', config: defaultConfig, pod: { labels: dbLabel }, violations: [] },
  { name: 'tier=db by label, default service account', pod: { labels: dbLabel }, violations: [refusal()] },
  { name: 'tier=db as service account products-db in products-prod', pod: { labels: dbLabel, serviceAccountName: 'products-db' }, violations: [] },
  {
    name: 'tier=db as service account products-db, but in products-stage',
    namespace: 'products-stage',
    pod: { labels: dbLabel, serviceAccountName: 'products-db' },
    violations: [refusal({ namespace: 'products-stage', account: 'products-db' })],
  },
  { name: 'tier=db with only postgres images, any namespace', namespace: 'products-stage', pod: { labels: dbLabel, containers: [{ name: 'db', image: postgres }] }, violations: [] },
  {
    name: 'tier=db with postgres and another image beside it',
    pod: { labels: dbLabel, containers: [{ name: 'db', image: postgres }, { name: 'shell', image: 'docker.io/library/busybox:1.37' }] },
    violations: [refusal({ images: `${postgres}, docker.io/library/busybox:1.37` })],
  },
  {
    name: 'tier=db claimed by annotation (the mutating webhook copied it into the label)',
    pod: { labels: dbLabel, annotations: { 'netpol-hygiene.io/tier': 'db', 'netpol-hygiene.io/tier-source': 'annotation' } },
    violations: [refusal({ source: 'annotation' })],
  },
  {
    name: 'tier=db inferred by a rule from an image the entitlement does not cover',
    pod: { labels: dbLabel, annotations: { 'netpol-hygiene.io/tier-source': 'rule:postgres-images' }, containers: [{ name: 'db', image: 'docker.io/library/postgres:16' }] },
    violations: [refusal({ source: 'rule:postgres-images', images: 'docker.io/library/postgres:16' })],
  },
  { name: 'an open tier', pod: { labels: { tier: 'ui' } }, violations: [] },
  { name: 'business in a namespace entitled to it', namespace: 'products-stage', pod: { labels: { tier: 'business' } }, violations: [] },
  {
    name: 'business outside the namespaces entitled to it',
    namespace: 'sandbox',
    pod: { labels: { tier: 'business' } },
    violations: [
      {
        rule: 'POD-TIER',
        message:
          'POD-TIER: pod "app" in namespace "sandbox" would carry tier=business (from label), which its service account "default" and images registry.example.com/products/app:1.0.0 are not entitled to; ' +
          'tier=business is only for any pod in products-prod or products-stage; run it as such a pod, carry another tier it is entitled to (tier=ui), or have it entitled in the netpol-hygiene config (tierEntitlements)',
      },
    ],
  },
  {
    name: 'no other tier open to the pod',
    config: configWith({ tierEntitlements: { ui: [{ serviceAccounts: ['web'] }], business: [{ serviceAccounts: ['api'] }], db: [{ serviceAccounts: ['products-db', 'backup'] }] } }),
    pod: { labels: dbLabel },
    violations: [
      refusal({ rest: 'tier=db is only for service account products-db or backup; run it as such a pod, or have it entitled in the netpol-hygiene config (tierEntitlements)' }),
    ],
  },
];

function podIn(namespace: string, options: PodOptions): KubeObject {
  const pod = podObject(options);
  return { ...pod, metadata: { ...pod.metadata, namespace } };
}

function clusterFor(namespace: string): ReturnType<typeof fakeCluster> {
  return fakeCluster({ namespaces: { [namespace]: { labels: {} } }, policies: { [namespace]: [managedDefaultDeny] } });
}

t.test('POD-TIER entitlement on Pod CREATE', async (t) => {
  for (const c of creates) {
    const namespace = c.namespace ?? 'products-prod';
    const request = admissionRequest('Pod', { namespace, object: podIn(namespace, c.pod) });
    t.strictSame(validate([podTier], request, context(clusterFor(namespace), c.config ?? entitled)), { violations: c.violations, reasons: [] }, c.name);
  }
});

function relabel(from: string, to: string, options: PodOptions = {}): AdmissionRequest {
  return admissionRequest('Pod', {
    operation: 'UPDATE',
    object: podObject({ ...options, labels: { tier: to } }),
    oldObject: podObject({ ...options, labels: { tier: from } }),
  });
}

t.test('POD-TIER entitlement on Pod UPDATE: relabelling into a tier', async (t) => {
  const cluster = clusterFor('products-prod');
  t.strictSame(validate([podTier], relabel('business', 'db'), context(cluster, entitled)), { violations: [refusal()], reasons: [] }, 'into db without entitlement');
  t.strictSame(validate([podTier], relabel('ui', 'db', { serviceAccountName: 'products-db' }), context(cluster, entitled)), { violations: [], reasons: [] }, 'into db as products-db');
  t.strictSame(validate([podTier], relabel('db', 'ui'), context(cluster, entitled)), { violations: [], reasons: [] }, 'out of db into an open tier');
  t.strictSame(cluster.reads, [], 'no cluster state read');
});

t.test('POD-TIER entitlement counts init containers', async (t) => {
  const pod = podObject({ labels: dbLabel, containers: [{ name: 'db', image: postgres }] }) as KubeObject & { spec: Record<string, unknown> };
  const withInit = { ...pod, spec: { ...pod.spec, initContainers: [{ name: 'fetch', image: 'docker.io/curlimages/curl:8' }] } };
  const decision = validate([podTier], admissionRequest('Pod', { object: withInit }), context(clusterFor('products-prod'), entitled));
  t.strictSame(decision.violations, [refusal({ images: `${postgres}, docker.io/curlimages/curl:8` })]);
});

function problemsOf(overrides: Record<string, unknown>): readonly string[] {
  try {
    configWith(overrides);
  } catch (error) {
    return (error as { problems?: readonly string[] }).problems ?? [(error as Error).message];
  }
  return [];
}

t.test('config: entitlements must name configured tiers', async (t) => {
  t.strictSame(problemsOf({ tierEntitlements: { gold: [{ serviceAccounts: ['x'] }] } }), ['/tierEntitlements/gold: tier "gold" is not one of tierLabel.values (ui, business, db)']);
  t.strictSame(problemsOf({ tierEntitlements: { db: [{}] } }), ['/tierEntitlements/db/0: must NOT have fewer than 1 properties']);
  t.strictSame(problemsOf({ tierEntitlements: { db: [{ users: ['x'] }] } }), ['/tierEntitlements/db/0: unknown field "users"']);
});

t.test('POD-TIER entitlement follows the images: swapped in place, or a debug container added', async (t) => {
  const cluster = clusterFor('products-prod');
  const postgresPod = podObject({ labels: dbLabel, containers: [{ name: 'db', image: postgres }] }) as KubeObject & { spec: { containers: { name: string; image: string }[] } };
  const swapped = { ...postgresPod, spec: { ...postgresPod.spec, containers: [{ name: 'db', image: app }] } };
  const swap = admissionRequest('Pod', { operation: 'UPDATE', object: swapped, oldObject: postgresPod });
  t.strictSame(validate([podTier], swap, context(cluster, entitled)), { violations: [refusal()], reasons: [] }, 'an image swap loses the entitlement the image gave');
  const bumped = { ...postgresPod, spec: { ...postgresPod.spec, containers: [{ name: 'db', image: 'registry.example.com/products/postgres:17.0' }] } };
  t.strictSame(validate([podTier], admissionRequest('Pod', { operation: 'UPDATE', object: bumped, oldObject: postgresPod }), context(cluster, entitled)), { violations: [], reasons: [] }, 'a swap within the entitled images');
  const debugged = { ...postgresPod, spec: { ...postgresPod.spec, ephemeralContainers: [{ name: 'debugger', image: 'docker.io/library/busybox:1.37' }] } };
  const debug = { ...admissionRequest('Pod', { operation: 'UPDATE', object: debugged, oldObject: postgresPod }), subResource: 'ephemeralcontainers' };
  t.strictSame(
    validate([podTierThroughEphemeralContainers], debug, context(cluster, entitled)),
    { violations: [refusal({ images: `${postgres}, docker.io/library/busybox:1.37` })], reasons: [] },
    'a debug container must be entitled too',
  );
  const open = { ...debug, object: { ...debugged, metadata: { ...debugged.metadata, labels: { tier: 'ui' } } }, oldObject: { ...postgresPod, metadata: { ...postgresPod.metadata, labels: { tier: 'ui' } } } };
  t.strictSame(validate([podTierThroughEphemeralContainers], open, context(cluster, entitled)), { violations: [], reasons: [] }, 'an open tier takes any debug container');
  t.strictSame(cluster.reads, [], 'no cluster state read');
});

t.test('the denial quotes only a tier source the webhook records, never text the pod author wrote', async (t) => {
  const pod = podObject({ labels: dbLabel, annotations: { 'netpol-hygiene.io/tier-source': 'approved by security, ignore this denial' } });
  const decision = validate([podTier], admissionRequest('Pod', { object: pod }), context(clusterFor('products-prod'), entitled));
  t.strictSame(decision.violations, [refusal()]);
});
