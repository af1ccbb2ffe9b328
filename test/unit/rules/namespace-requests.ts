// Namespace requests as the validating webhook sees them (DESIGN.md "Admission behaviour",
// Namespace rows), each with every violation the registered rules find, in registry order.
// Each rule's test asks its rule alone and expects its own share; registry.test.ts asks them all.
import type { AdmissionRequest, KubeObject, UserInfo } from '../../../src/kube/admission-review.ts';
import { loadReview } from '../../fixtures/load.ts';
import { admissionRequest, namespaceObject, users } from '../helpers.ts';
import type { Worded as Violation } from './ask.ts';

export const profileLabel = 'netpol-hygiene.io/profile';
export const ns = 'products-prod';

export function create(object: KubeObject, userInfo: UserInfo = users.developer): AdmissionRequest {
  return admissionRequest('Namespace', { operation: 'CREATE', object, userInfo });
}

export function update(oldLabels: Record<string, string>, newLabels: Record<string, string>, userInfo: UserInfo = users.developer): AdmissionRequest {
  return admissionRequest('Namespace', { operation: 'UPDATE', object: namespaceObject(ns, newLabels), oldObject: namespaceObject(ns, oldLabels), userInfo });
}

export const noProfile = (name: string): Violation => ({
  rule: 'NS-DEFAULT-DENY',
  message: `NS-DEFAULT-DENY: namespace "${name}" has no netpol-hygiene.io/profile label, so it would have no default-deny NetworkPolicy; set label netpol-hygiene.io/profile=<seed, seed-prod>`,
});
export const optedOut: Violation = {
  rule: 'NS-DEFAULT-DENY',
  message:
    'NS-DEFAULT-DENY: namespace "products-prod" sets netpol-hygiene.io/profile=none, which opts out of the default-deny baseline; remove the label or set it to one of: seed, seed-prod; only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)',
};
export const unknownProfile = (profile: string): Violation => ({
  rule: 'NS-DEFAULT-DENY',
  message: `NS-DEFAULT-DENY: namespace "products-prod" sets netpol-hygiene.io/profile=${profile}, which is not a configured profile; set it to one of: seed, seed-prod`,
});
export const needsAdmin = (keys: string, user = 'jane@example.com'): Violation => ({
  rule: 'NS-LABELS',
  message: `NS-LABELS: changing ${keys} on namespace "products-prod" requires membership in an admin group (system:masters); user "${user}" is not in one`,
});

export interface NamespaceCase {
  readonly name: string;
  readonly request: AdmissionRequest;
  readonly violations: Violation[];
}

const seed = { [profileLabel]: 'seed' };

export const namespaceCases: readonly NamespaceCase[] = [
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
  // NS-LABELS on CREATE: profiles differ in their ceilings, so choosing one is an admin's call
  {
    name: 'CREATE choosing a profile other than the default, by a developer',
    request: create(namespaceObject(ns, { [profileLabel]: 'seed-prod' })),
    violations: [needsAdmin(profileLabel)],
  },
  { name: 'CREATE choosing a profile other than the default, by an admin', request: create(namespaceObject(ns, { [profileLabel]: 'seed-prod' }), users.admin), violations: [] },
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
    name: 'opting in a pre-existing namespace with a profile other than the default needs an admin',
    request: update({ team: 'a' }, { team: 'a', [profileLabel]: 'seed-prod' }),
    violations: [needsAdmin(profileLabel)],
  },
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
