// NS-DEFAULT-DENY (DESIGN.md "Admission behaviour", Namespace rows): its mutating half injects
// the default profile; its validating half refuses a governed namespace without a known one.
import t from 'tap';
import type { Operation as PatchOperation } from 'fast-json-patch';
import { diffPatch } from '../../../src/admission/patch.ts';
import type { AdmissionRequest, KubeObject } from '../../../src/kube/admission-review.ts';
import type { Config } from '../../../src/config/types.ts';
import { nsDefaultDeny, nsDefaultDenyInjection } from '../../../src/policy/rules/ns-default-deny.ts';
import { loadReview } from '../../fixtures/load.ts';
import { admissionRequest, configWith, context, defaultConfig, namespaceObject } from '../helpers.ts';
import { mutate, validate } from './ask.ts';
import { create, namespaceCases, noProfile, ns, profileLabel, update } from './namespace-requests.ts';

t.test('NS-DEFAULT-DENY injects the default profile', async (t) => {
  const cases: readonly { readonly name: string; readonly request: AdmissionRequest; readonly config?: Config; readonly patch: PatchOperation[]; readonly reasons: string[] }[] = [
    {
      name: 'CREATE of a labelled namespace (fixture): the profile label is added, "/" escaped as ~1',
      request: loadReview('namespace-create').request,
      patch: [{ op: 'add', path: '/metadata/labels/netpol-hygiene.io~1profile', value: 'seed' }],
      reasons: ['netpol-hygiene.io/profile=seed (the default profile)'],
    },
    {
      name: 'CREATE of a namespace with no labels at all: the labels object is added',
      request: create(namespaceObject('scratch')),
      patch: [{ op: 'add', path: '/metadata/labels', value: { 'netpol-hygiene.io/profile': 'seed' } }],
      reasons: ['netpol-hygiene.io/profile=seed (the default profile)'],
    },
    {
      name: 'CREATE with another configured default profile',
      request: create(namespaceObject('scratch', {})),
      config: configWith({ defaultProfile: 'seed-prod' }),
      patch: [{ op: 'add', path: '/metadata/labels/netpol-hygiene.io~1profile', value: 'seed-prod' }],
      reasons: ['netpol-hygiene.io/profile=seed-prod (the default profile)'],
    },
    {
      name: 'CREATE with a profile already set: left alone',
      request: create(namespaceObject(ns, { [profileLabel]: 'seed-prod' })),
      patch: [],
      reasons: [],
    },
    {
      name: 'CREATE with profile none: left alone (the validating webhook refuses it)',
      request: create(namespaceObject(ns, { [profileLabel]: 'none' })),
      patch: [],
      reasons: [],
    },
    {
      name: 'UPDATE is not mutated, even without a profile',
      request: update({}, { team: 'products' }),
      patch: [],
      reasons: [],
    },
  ];
  for (const c of cases) {
    const decision = mutate([nsDefaultDenyInjection], c.request, context(undefined, c.config ?? defaultConfig));
    t.strictSame(decision.violations, [], `${c.name}: no violations`);
    t.strictSame(diffPatch(c.request.object as KubeObject, decision.mutated), c.patch, `${c.name}: patch`);
    t.strictSame(decision.reasons, c.reasons, `${c.name}: reasons`);
  }
});

t.test('the injection leaves the request object untouched', async (t) => {
  const request = loadReview('namespace-create').request;
  const before = structuredClone(request.object);
  mutate([nsDefaultDenyInjection], request, context());
  t.strictSame(request.object, before);
});

t.test('NS-DEFAULT-DENY on every namespace request of the table', async (t) => {
  for (const c of namespaceCases) {
    t.strictSame(validate([nsDefaultDeny], c.request, context()), { violations: c.violations.filter((v) => v.rule === 'NS-DEFAULT-DENY'), reasons: [] }, c.name);
  }
});

t.test('NS-DEFAULT-DENY names the namespace from request.name when the object has none', async (t) => {
  const request = admissionRequest('Namespace', { name: 'products-prod', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: {} } } });
  t.strictSame(validate([nsDefaultDeny], request, context()).violations, [noProfile('products-prod')]);
});

