// DESIGN.md "Admission behaviour", Namespace rows: the mutating profile label, NS-DEFAULT-DENY
// and NS-LABELS.
import t from 'tap';
import type { Operation as PatchOperation } from 'fast-json-patch';
import { diffPatch } from '../../src/admission/patch.ts';
import type { AdmissionRequest, KubeObject, UserInfo } from '../../src/kube/admission-review.ts';
import type { Config } from '../../src/config/types.ts';
import type { Violation } from '../../src/policy/decision.ts';
import { mutateNamespace, validateNamespace } from '../../src/policy/namespace-rules.ts';
import { loadReview } from '../fixtures/load.ts';
import { admissionRequest, configWith, context, defaultConfig, namespaceObject, users } from './helpers.ts';

const profileLabel = 'netpol-hygiene.io/profile';
const ns = 'products-prod';

function create(object: KubeObject, userInfo: UserInfo = users.developer): AdmissionRequest {
  return admissionRequest('Namespace', { operation: 'CREATE', object, userInfo });
}

function update(oldLabels: Record<string, string>, newLabels: Record<string, string>, userInfo: UserInfo = users.developer): AdmissionRequest {
  return admissionRequest('Namespace', { operation: 'UPDATE', object: namespaceObject(ns, newLabels), oldObject: namespaceObject(ns, oldLabels), userInfo });
}

t.test('mutateNamespace', async (t) => {
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
    const decision = mutateNamespace(c.request, context(undefined, c.config ?? defaultConfig));
    t.strictSame(decision.violations, [], `${c.name}: no violations`);
    t.strictSame(diffPatch(c.request.object as KubeObject, decision.mutated), c.patch, `${c.name}: patch`);
    t.strictSame(decision.reasons, c.reasons, `${c.name}: reasons`);
  }
});

t.test('mutateNamespace leaves the request object untouched', async (t) => {
  const request = loadReview('namespace-create').request;
  const before = structuredClone(request.object);
  mutateNamespace(request, context());
  t.strictSame(request.object, before);
});

const noProfile = (name: string): Violation => ({
  rule: 'NS-DEFAULT-DENY',
  message: `NS-DEFAULT-DENY: namespace "${name}" has no netpol-hygiene.io/profile label, so it would have no default-deny NetworkPolicy; set label netpol-hygiene.io/profile=<seed, seed-prod>`,
});
const optedOut: Violation = {
  rule: 'NS-DEFAULT-DENY',
  message:
    'NS-DEFAULT-DENY: namespace "products-prod" sets netpol-hygiene.io/profile=none, which opts out of the default-deny baseline; remove the label or set it to one of: seed, seed-prod; only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)',
};
const unknownProfile = (profile: string): Violation => ({
  rule: 'NS-DEFAULT-DENY',
  message: `NS-DEFAULT-DENY: namespace "products-prod" sets netpol-hygiene.io/profile=${profile}, which is not a configured profile; set it to one of: seed, seed-prod`,
});
const needsAdmin = (keys: string, user = 'jane@example.com'): Violation => ({
  rule: 'NS-LABELS',
  message: `NS-LABELS: changing ${keys} on namespace "products-prod" requires membership in an admin group (system:masters); user "${user}" is not in one`,
});

t.test('validateNamespace', async (t) => {
  const seed = { [profileLabel]: 'seed' };
  const cases: readonly { readonly name: string; readonly request: AdmissionRequest; readonly violations: Violation[] }[] = [
    // NS-DEFAULT-DENY
    { name: 'CREATE with a configured profile', request: create(namespaceObject(ns, seed)), violations: [] },
    { name: 'CREATE without a profile label (fixture, mutating webhook skipped)', request: loadReview('namespace-create').request, violations: [noProfile(ns)] },
    { name: 'CREATE of a namespace with no labels at all', request: create(namespaceObject('scratch')), violations: [noProfile('scratch')] },
    { name: 'CREATE with profile none', request: create(namespaceObject(ns, { [profileLabel]: 'none' })), violations: [optedOut] },
    { name: 'CREATE with profile none, by an admin: still refused', request: create(namespaceObject(ns, { [profileLabel]: 'none' }), users.admin), violations: [optedOut] },
    { name: 'CREATE with an unknown profile', request: create(namespaceObject(ns, { [profileLabel]: 'strict' })), violations: [unknownProfile('strict')] },
    {
      // Label values may be any Object.prototype member name; none of them is a configured profile.
      name: 'CREATE with profile "constructor" (an Object.prototype member) is an unknown profile',
      request: create(namespaceObject(ns, { [profileLabel]: 'constructor' })),
      violations: [unknownProfile('constructor')],
    },
    // NS-LABELS on UPDATE
    { name: 'UPDATE of an unrelated label by a developer', request: update({ ...seed, team: 'a' }, { ...seed, team: 'b' }), violations: [] },
    { name: 'UPDATE changing the profile by a developer', request: update(seed, { [profileLabel]: 'seed-prod' }), violations: [needsAdmin(profileLabel)] },
    { name: 'UPDATE changing the profile by an admin (system:masters)', request: update(seed, { [profileLabel]: 'seed-prod' }, users.admin), violations: [] },
    {
      name: 'UPDATE changing the profile by a user without a username',
      request: update(seed, { [profileLabel]: 'seed-prod' }, { groups: ['developers'] }),
      violations: [needsAdmin(profileLabel, '(unknown)')],
    },
    { name: 'UPDATE removing the profile by a developer', request: update(seed, {}), violations: [noProfile(ns), needsAdmin(profileLabel)] },
    { name: 'UPDATE removing the profile by an admin: still no default-deny', request: update(seed, {}, users.admin), violations: [noProfile(ns)] },
    {
      name: 'UPDATE setting mode and default-tier by a developer: keys listed sorted',
      request: update(seed, { ...seed, 'netpol-hygiene.io/mode': 'audit', 'netpol-hygiene.io/default-tier': 'ui' }),
      violations: [needsAdmin('netpol-hygiene.io/default-tier, netpol-hygiene.io/mode')],
    },
    {
      name: 'UPDATE removing the mode label by a developer',
      request: update({ ...seed, 'netpol-hygiene.io/mode': 'enforce' }, seed),
      violations: [needsAdmin('netpol-hygiene.io/mode')],
    },
    {
      name: 'UPDATE of another netpol-hygiene.io/ label by a developer',
      request: update(seed, { ...seed, 'netpol-hygiene.io/owner': 'team-a' }),
      violations: [needsAdmin('netpol-hygiene.io/owner')],
    },
    // Opting in a namespace that predates the webhook
    { name: 'opting in a pre-existing namespace (no profile before) without admin', request: update({ team: 'a' }, { team: 'a', ...seed }), violations: [] },
    {
      name: 'opting in a pre-existing namespace with an unknown profile',
      request: update({}, { [profileLabel]: 'strict' }),
      violations: [unknownProfile('strict'), needsAdmin(profileLabel)],
    },
    { name: 'opting a pre-existing namespace out with none', request: update({}, { [profileLabel]: 'none' }), violations: [optedOut, needsAdmin(profileLabel)] },
    // Governed by the default profile; refusing every edit to it would block its owners.
    { name: 'UPDATE of a pre-existing namespace that stays without a profile', request: update({ team: 'a' }, { team: 'b' }), violations: [] },
    {
      name: 'UPDATE of a pre-existing namespace that stays without a profile, setting a mode',
      request: update({ team: 'a' }, { team: 'a', 'netpol-hygiene.io/mode': 'audit' }),
      violations: [needsAdmin('netpol-hygiene.io/mode')],
    },
    // Mode at CREATE
    { name: 'CREATE choosing a mode by a developer', request: create(namespaceObject(ns, { ...seed, 'netpol-hygiene.io/mode': 'warn' })), violations: [needsAdmin('netpol-hygiene.io/mode')] },
    { name: 'CREATE choosing a mode by an admin', request: create(namespaceObject(ns, { ...seed, 'netpol-hygiene.io/mode': 'warn' }), users.admin), violations: [] },
    { name: 'CREATE with a default tier by a developer is allowed', request: create(namespaceObject(ns, { ...seed, 'netpol-hygiene.io/default-tier': 'business' })), violations: [] },
    // Malformed values, refused for anyone
    {
      name: 'CREATE with an invalid mode value by an admin',
      request: create(namespaceObject(ns, { ...seed, 'netpol-hygiene.io/mode': 'strict' }), users.admin),
      violations: [{ rule: 'NS-LABELS', message: 'NS-LABELS: namespace "products-prod" sets netpol-hygiene.io/mode=strict; use one of: enforce, warn, audit' }],
    },
    {
      name: 'CREATE with an invalid mode value by a developer',
      request: create(namespaceObject(ns, { ...seed, 'netpol-hygiene.io/mode': 'Enforce' })),
      violations: [
        { rule: 'NS-LABELS', message: 'NS-LABELS: namespace "products-prod" sets netpol-hygiene.io/mode=Enforce; use one of: enforce, warn, audit' },
        needsAdmin('netpol-hygiene.io/mode'),
      ],
    },
    {
      name: 'CREATE with an invalid default tier',
      request: create(namespaceObject(ns, { ...seed, 'netpol-hygiene.io/default-tier': 'frontend' })),
      violations: [{ rule: 'NS-LABELS', message: 'NS-LABELS: namespace "products-prod" sets netpol-hygiene.io/default-tier=frontend; use one of: ui, business, db' }],
    },
    {
      name: 'UPDATE keeping an invalid default tier is still refused',
      request: update({ ...seed, 'netpol-hygiene.io/default-tier': 'frontend' }, { ...seed, 'netpol-hygiene.io/default-tier': 'frontend' }, users.admin),
      violations: [{ rule: 'NS-LABELS', message: 'NS-LABELS: namespace "products-prod" sets netpol-hygiene.io/default-tier=frontend; use one of: ui, business, db' }],
    },
    // Not judged
    { name: 'DELETE', request: admissionRequest('Namespace', { operation: 'DELETE', oldObject: namespaceObject(ns, {}) }), violations: [] },
    { name: 'a request without an object', request: admissionRequest('Namespace', { operation: 'UPDATE', name: ns }), violations: [] },
  ];
  for (const c of cases) {
    const decision = validateNamespace(c.request, context());
    t.strictSame(decision, { violations: c.violations, reasons: [] }, c.name);
  }
});

t.test('validateNamespace names the namespace from request.name when the object has none', async (t) => {
  const request = admissionRequest('Namespace', { name: 'products-prod', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: {} } } });
  t.strictSame(validateNamespace(request, context()).violations, [noProfile('products-prod')]);
});

t.test('a configured admin group other than system:masters', async (t) => {
  const config = configWith({ adminGroups: ['platform-admins'] });
  const request = update({ [profileLabel]: 'seed' }, { [profileLabel]: 'seed-prod' }, users.admin);
  t.strictSame(validateNamespace(request, context(undefined, config)).violations, [
    {
      rule: 'NS-LABELS',
      message:
        'NS-LABELS: changing netpol-hygiene.io/profile on namespace "products-prod" requires membership in an admin group (platform-admins); user "kubernetes-admin" is not in one',
    },
  ]);
  const platformAdmin = { username: 'ops@example.com', groups: ['platform-admins'] };
  t.strictSame(validateNamespace(update({ [profileLabel]: 'seed' }, { [profileLabel]: 'seed-prod' }, platformAdmin), context(undefined, config)).violations, []);
});
