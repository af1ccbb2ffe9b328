// DESIGN.md "Admission behaviour", Pod rows: POD-TIER (mutating and validating) and POD-PROTECTED.
import t from 'tap';
import type { Operation as PatchOperation } from 'fast-json-patch';
import { diffPatch } from '../../src/admission/patch.ts';
import type { AdmissionRequest, KubeObject } from '../../src/kube/admission-review.ts';
import type { Config } from '../../src/config/types.ts';
import type { Decision, Violation } from '../../src/policy/decision.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { mutatePod, validatePod } from '../../src/policy/pod-rules.ts';
import { loadReview } from '../fixtures/load.ts';
import { admissionRequest, configWith, context, defaultConfig, fakeCluster, managedDefaultDeny, networkPolicy, podObject, type PodOptions } from './helpers.ts';

const webFrontends = configWith({ tierRules: [{ name: 'web-frontends', tier: 'ui', match: { images: ['*/nginx:*'] } }] });
const defaultTierConfig = configWith({ defaultTier: 'business' });
const slashKeyConfig = configWith({ tierLabel: { key: 'example.com/tier', values: ['ui', 'business', 'db'] } });

function podCreate(options: PodOptions): AdmissionRequest {
  return admissionRequest('Pod', { object: podObject(options) });
}

/** The Deployment's pod as the ReplicaSet controller creates it (generateName, no name). */
function deploymentPod(): AdmissionRequest {
  return loadReview('pod-from-deployment').request;
}

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
    name: 'a pod already labelled, without annotations: only the tier-source annotation is added',
    request: podCreate({ labels: { app: 'web', tier: 'ui' } }),
    patch: [{ op: 'add', path: '/metadata/annotations', value: { 'netpol-hygiene.io/tier-source': 'label' } }],
    reasons: ['tier=ui from label'],
  },
  {
    name: 'a pod already labelled, with annotations: only the tier-source annotation is added',
    request: podCreate({ labels: { app: 'web', tier: 'ui' }, annotations: { owner: 'team-a' } }),
    patch: [{ op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'label' }],
    reasons: ['tier=ui from label'],
  },
  {
    name: 'a stale tier-source annotation is replaced',
    request: podCreate({ labels: { tier: 'ui' }, annotations: { 'netpol-hygiene.io/tier-source': 'rule:old' } }),
    patch: [{ op: 'replace', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'label' }],
    reasons: ['tier=ui from label'],
  },
  {
    name: 'label and source already recorded (reinvocation): nothing to do',
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
    name: 'a tier-source annotation copied from another pod is corrected to label',
    request: podCreate({ labels: { tier: 'db' }, annotations: { 'netpol-hygiene.io/tier-source': 'rule:web-frontends' } }),
    config: webFrontends,
    patch: [{ op: 'replace', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'label' }],
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

t.test('mutatePod', async (t) => {
  for (const c of mutateCases) {
    const cluster = fakeCluster({ namespaces: c.namespaceLabels === undefined ? {} : { 'products-prod': { labels: c.namespaceLabels } } });
    const decision = mutatePod(c.request, context(cluster, c.config ?? defaultConfig));
    t.strictSame(decision.violations, [], `${c.name}: no violations`);
    t.strictSame(diffPatch(c.request.object as KubeObject, decision.mutated), c.patch, `${c.name}: patch`);
    t.strictSame(decision.reasons, c.reasons, `${c.name}: reasons`);
  }
});

t.test('mutatePod edits a clone, never the request object', async (t) => {
  const request = deploymentPod();
  const before = structuredClone(request.object);
  mutatePod(request, context(fakeCluster(), webFrontends));
  t.strictSame(request.object, before);
});

const protectedPolicies: readonly NetworkPolicy[] = [managedDefaultDeny];
const deploymentSubject = 'pod "web-7f9c8d6b5-*" in namespace "products-prod"';

const noTier = (subject: string): Violation => ({
  rule: 'POD-TIER',
  message: `POD-TIER: ${subject} has no "tier" label and no rule matched; set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace`,
});
const invalidTier = (where: string): Violation => ({
  rule: 'POD-TIER',
  message: `POD-TIER: pod "app" in namespace "products-prod" has ${where}, which is not one of ui, business, db; set label tier=<ui|business|db>`,
});
const unprotected = (pod: string, directions: string): Violation => ({
  rule: 'POD-PROTECTED',
  message: `POD-PROTECTED: namespace "products-prod" has no effective default-deny NetworkPolicy for ${directions}, so ${pod} would run unprotected; apply the baseline: netpol-hygiene render --namespace products-prod --profile seed | kubectl apply -f -`,
});

interface ValidateCase {
  readonly name: string;
  readonly request: AdmissionRequest;
  readonly config?: Config;
  readonly namespaceLabels?: Record<string, string>;
  readonly policies: readonly NetworkPolicy[];
  readonly expected: Decision;
}

const validateCases: readonly ValidateCase[] = [
  {
    name: 'a labelled pod in a protected namespace',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: protectedPolicies,
    expected: { violations: [], reasons: [] },
  },
  {
    name: 'the Deployment fixture without a tier: named by its generateName',
    request: deploymentPod(),
    policies: protectedPolicies,
    expected: { violations: [noTier(deploymentSubject)], reasons: [] },
  },
  {
    name: 'an invalid tier label',
    request: podCreate({ labels: { tier: 'frontend' } }),
    policies: protectedPolicies,
    expected: { violations: [invalidTier('label tier=frontend')], reasons: [] },
  },
  {
    name: 'an invalid tier annotation',
    request: podCreate({ annotations: { 'netpol-hygiene.io/tier': 'cache' } }),
    policies: protectedPolicies,
    expected: { violations: [invalidTier('annotation netpol-hygiene.io/tier=cache')], reasons: [] },
  },
  {
    name: 'an invalid namespace default tier',
    request: podCreate({}),
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'frontend' },
    policies: protectedPolicies,
    expected: { violations: [invalidTier('namespace default tier frontend')], reasons: [] },
  },
  {
    name: 'an invalid label with a custom key and values',
    request: podCreate({ labels: { 'example.com/tier': 'edge' } }),
    config: configWith({ tierLabel: { key: 'example.com/tier', values: ['web', 'api'] }, profiles: { flat: { tiers: [] } }, defaultProfile: 'flat' }),
    policies: protectedPolicies,
    expected: {
      violations: [{ rule: 'POD-TIER', message: 'POD-TIER: pod "app" in namespace "products-prod" has label example.com/tier=edge, which is not one of web, api; set label example.com/tier=<web|api>' }],
      reasons: [],
    },
  },
  {
    name: 'a namespace default tier but no label: the mutating webhook did not run',
    request: podCreate({}),
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'business' },
    policies: protectedPolicies,
    expected: {
      violations: [
        {
          rule: 'POD-TIER',
          message:
            'POD-TIER: pod "app" in namespace "products-prod" has no "tier" label although namespace-default gives tier=business; the mutating webhook mutate-pods.netpol-hygiene.io did not run, check its registration',
        },
      ],
      reasons: [],
    },
  },
  {
    name: 'a labelled pod in a namespace without any policy',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: [],
    expected: { violations: [unprotected('pod "app"', 'ingress and egress')], reasons: [], baselineNeeded: 'products-prod' },
  },
  {
    name: 'a labelled pod where only ingress is denied',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: [networkPolicy('deny-in', { podSelector: {}, policyTypes: ['Ingress'] })],
    expected: { violations: [unprotected('pod "app"', 'egress')], reasons: [], baselineNeeded: 'products-prod' },
  },
  {
    name: 'a "default-deny" that allows everything is no protection',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: [networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] })],
    expected: { violations: [unprotected('pod "app"', 'ingress and egress')], reasons: [], baselineNeeded: 'products-prod' },
  },
  {
    name: 'the Deployment fixture without a tier in an unprotected namespace: both rules, in order',
    request: deploymentPod(),
    policies: [],
    expected: { violations: [noTier(deploymentSubject), unprotected('pod "web-7f9c8d6b5-*"', 'ingress and egress')], reasons: [], baselineNeeded: 'products-prod' },
  },
  {
    name: 'UPDATE is not judged',
    request: admissionRequest('Pod', { operation: 'UPDATE', object: podObject(), oldObject: podObject() }),
    policies: [],
    expected: { violations: [], reasons: [] },
  },
];

t.test('validatePod', async (t) => {
  for (const c of validateCases) {
    const cluster = fakeCluster({
      namespaces: { 'products-prod': { labels: c.namespaceLabels ?? { 'netpol-hygiene.io/profile': 'seed' } } },
      policies: { 'products-prod': c.policies },
    });
    t.strictSame(validatePod(c.request, context(cluster, c.config ?? defaultConfig)), c.expected, c.name);
  }
});

t.test('validatePod names a pod by request.name when the object has no name', async (t) => {
  const object = podObject({ labels: { tier: 'ui' } });
  const request = admissionRequest('Pod', { name: 'batch-1', object: { ...object, metadata: { namespace: 'products-prod', labels: { tier: 'ui' } } } });
  t.strictSame(validatePod(request, context()).violations, [unprotected('pod "batch-1"', 'ingress and egress')]);
});

t.test('validatePod with neither name nor generateName', async (t) => {
  const request = admissionRequest('Pod', { object: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { tier: 'ui' } } } });
  t.strictSame(validatePod(request, context()).violations, [unprotected('pod (unnamed)', 'ingress and egress')]);
});

t.test('validatePod on UPDATE: the tier label may change between valid tiers, not go away or go bad', async (t) => {
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
    const decision = validatePod(c.request, context(cluster));
    t.same(decision.violations, c.violations, c.name);
    t.same(cluster.reads, [], `${c.name}: no cluster state needed`);
  }
});
