// POD-TIER (DESIGN.md "Admission behaviour", Pod rows): its mutating half injects the inferred
// tier label and records its source (a pod's own label is left unpatched); its validating half refuses a pod without a valid tier,
// and a tier label that goes away or goes bad. Entitlements: pod-tier-entitlement.test.ts.
import t from 'tap';
import type { Operation as PatchOperation } from 'fast-json-patch';
import { diffPatch } from '../../../src/admission/patch.ts';
import type { AdmissionRequest, KubeObject } from '../../../src/kube/admission-review.ts';
import type { Config } from '../../../src/config/types.ts';
import { podTier, podTierInjection } from '../../../src/policy/rules/pod-tier.ts';
import { admissionRequest, configWith, context, defaultConfig, fakeCluster, podObject } from '../helpers.ts';
import { mutate, validate } from './ask.ts';
import { defaultTierConfig, deploymentPod, podCases, podCreate, slashKeyConfig, webFrontends } from './pod-requests.ts';

t.test('the Deployment fixture has no name yet, only generateName', async (t) => {
  const request = deploymentPod();
  t.equal(request.name, undefined);
  t.equal(request.object?.metadata?.name, undefined);
  t.equal(request.object?.metadata?.generateName, 'web-7f9c8d6b5-');
  (request.object?.metadata?.labels as Record<string, string>)['tier'] = 'ui';
  t.strictSame(deploymentPod().object?.metadata?.labels, { app: 'web', 'pod-template-hash': '7f9c8d6b5' }, 'every load is a fresh copy');
});

interface MutateCase {
  readonly name: string;
  readonly request: AdmissionRequest;
  readonly config?: Config;
  readonly namespaceLabels?: Record<string, string>;
  readonly patch: PatchOperation[];
  readonly reasons: string[];
}

const mutateCases: readonly MutateCase[] = [
  {
    name: 'a pod without any labels or annotations: the labels and annotations objects are added',
    request: podCreate({}),
    config: defaultTierConfig,
    patch: [
      { op: 'add', path: '/metadata/labels', value: { tier: 'business' } },
      { op: 'add', path: '/metadata/annotations', value: { 'netpol-hygiene.io/tier-source': 'default' } },
    ],
    reasons: ['tier=business from default'],
  },
  {
    name: 'a pod without labels but with the tier annotation',
    request: podCreate({ annotations: { 'netpol-hygiene.io/tier': 'db' } }),
    patch: [
      { op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'annotation' },
      { op: 'add', path: '/metadata/labels', value: { tier: 'db' } },
    ],
    reasons: ['tier=db from annotation'],
  },
  {
    name: 'the Deployment fixture matched by an image rule: label and source added beside the existing ones',
    request: deploymentPod(),
    config: webFrontends,
    patch: [
      { op: 'add', path: '/metadata/labels/tier', value: 'ui' },
      { op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'rule:web-frontends' },
    ],
    reasons: ['tier=ui from rule:web-frontends'],
  },
  {
    name: 'the Deployment fixture with a namespace default tier',
    request: deploymentPod(),
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'business' },
    patch: [
      { op: 'add', path: '/metadata/labels/tier', value: 'business' },
      { op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'namespace-default' },
    ],
    reasons: ['tier=business from namespace-default'],
  },
  {
    name: 'a tier label key with "/" is escaped ~1 in the pointer',
    request: podCreate({ labels: { app: 'web' }, annotations: { owner: 'team-a' } }),
    config: configWith({ ...slashKeyConfig, defaultTier: 'ui' }),
    patch: [
      { op: 'add', path: '/metadata/labels/example.com~1tier', value: 'ui' },
      { op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'default' },
    ],
    reasons: ['example.com/tier=ui from default'],
  },
  {
    name: 'a pod already labelled, without annotations: admitted unpatched, the source only in the reasons',
    request: podCreate({ labels: { app: 'web', tier: 'ui' } }),
    patch: [],
    reasons: ['tier=ui from label'],
  },
  {
    name: 'a pod already labelled, with annotations: admitted unpatched, the source only in the reasons',
    request: podCreate({ labels: { app: 'web', tier: 'ui' }, annotations: { owner: 'team-a' } }),
    patch: [],
    reasons: ['tier=ui from label'],
  },
  {
    name: 'a stale tier-source annotation on a labelled pod is removed (it would claim an injection)',
    request: podCreate({ labels: { tier: 'ui' }, annotations: { 'netpol-hygiene.io/tier-source': 'rule:old' } }),
    patch: [{ op: 'remove', path: '/metadata/annotations/netpol-hygiene.io~1tier-source' }],
    reasons: ['tier=ui from label'],
  },
  {
    name: 'label and an older version\'s tier-source label: nothing to do',
    request: podCreate({ labels: { tier: 'ui' }, annotations: { 'netpol-hygiene.io/tier-source': 'label' } }),
    patch: [],
    reasons: [],
  },
  {
    name: 'reinvocation after our own patch: the rule source recorded the first time is kept',
    request: podCreate({
      labels: { tier: 'ui' },
      annotations: { 'netpol-hygiene.io/tier-source': 'rule:web-frontends' },
      containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27' }],
    }),
    config: webFrontends,
    patch: [],
    reasons: [],
  },
  {
    name: 'a tier-source annotation copied from another pod is removed, other annotations kept',
    request: podCreate({ labels: { tier: 'db' }, annotations: { owner: 'team-a', 'netpol-hygiene.io/tier-source': 'rule:web-frontends' } }),
    config: webFrontends,
    patch: [{ op: 'remove', path: '/metadata/annotations/netpol-hygiene.io~1tier-source' }],
    reasons: ['tier=db from label'],
  },
  {
    name: 'an invalid tier label is not touched (the validating webhook refuses it)',
    request: podCreate({ labels: { tier: 'frontend' } }),
    config: defaultTierConfig,
    patch: [],
    reasons: [],
  },
  {
    name: 'no tier source at all: nothing to do',
    request: deploymentPod(),
    patch: [],
    reasons: [],
  },
  {
    name: 'UPDATE is not mutated',
    request: admissionRequest('Pod', { operation: 'UPDATE', object: podObject(), oldObject: podObject() }),
    config: defaultTierConfig,
    patch: [],
    reasons: [],
  },
];

t.test('POD-TIER injects the inferred tier', async (t) => {
  for (const c of mutateCases) {
    const cluster = fakeCluster({ namespaces: c.namespaceLabels === undefined ? {} : { 'products-prod': { labels: c.namespaceLabels } } });
    const decision = mutate([podTierInjection], c.request, context(cluster, c.config ?? defaultConfig));
    t.strictSame(decision.violations, [], `${c.name}: no violations`);
    t.strictSame(diffPatch(c.request.object as KubeObject, decision.mutated), c.patch, `${c.name}: patch`);
    t.strictSame(decision.reasons, c.reasons, `${c.name}: reasons`);
  }
});

t.test('the injection edits a clone, never the request object', async (t) => {
  const request = deploymentPod();
  const before = structuredClone(request.object);
  mutate([podTierInjection], request, context(fakeCluster(), webFrontends));
  t.strictSame(request.object, before);
});

t.test('POD-TIER on every pod request of the table', async (t) => {
  for (const c of podCases) {
    const cluster = fakeCluster({
      namespaces: { 'products-prod': { labels: c.namespaceLabels ?? { 'netpol-hygiene.io/profile': 'seed' } } },
      policies: { 'products-prod': c.policies },
    });
    const violations = c.violations.filter((v) => v.rule === 'POD-TIER');
    t.strictSame(validate([podTier], c.request, context(cluster, c.config ?? defaultConfig)), { violations, reasons: [] }, c.name);
  }
});

t.test('POD-TIER on UPDATE: the tier label may change between valid tiers, not go away or go bad', async (t) => {
  const update = (before: Record<string, string>, after: Record<string, string>): AdmissionRequest =>
    admissionRequest('Pod', { operation: 'UPDATE', oldObject: podObject({ name: 'web', labels: before }), object: podObject({ name: 'web', labels: after }) });
  const cases: { name: string; request: AdmissionRequest; violations: { rule: string; message: string }[] }[] = [
    { name: 'unchanged tier (other labels change)', request: update({ tier: 'ui' }, { tier: 'ui', release: 'canary' }), violations: [] },
    { name: 'moved to another valid tier', request: update({ tier: 'ui' }, { tier: 'db' }), violations: [] },
    {
      name: 'label removed',
      request: update({ tier: 'ui' }, { app: 'web' }),
      violations: [{ rule: 'POD-TIER', message: 'POD-TIER: pod "web" in namespace "products-prod" would lose its "tier" label (tier=ui); admitted pods keep one of ui, business, db' }],
    },
    {
      name: 'changed to an unknown tier',
      request: update({ tier: 'ui' }, { tier: 'cache' }),
      violations: [{ rule: 'POD-TIER', message: 'POD-TIER: pod "web" in namespace "products-prod" would get label tier=cache, which is not one of ui, business, db; set label tier=<ui|business|db>' }],
    },
  ];
  for (const c of cases) {
    const cluster = fakeCluster();
    const decision = validate([podTier], c.request, context(cluster));
    t.same(decision.violations, c.violations, c.name);
    t.same(cluster.reads, [], `${c.name}: no cluster state needed`);
  }
});
