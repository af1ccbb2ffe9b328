// DESIGN.md "Admission behaviour", NetworkPolicy row: NP-GUARD.
import t from 'tap';
import type { AdmissionRequest, KubeObject, UserInfo } from '../../../src/kube/admission-review.ts';
import type { Config } from '../../../src/config/types.ts';
import { ClusterStateUnavailableError } from '../../../src/policy/decision.ts';
import { npGuard } from '../../../src/policy/rules/np-guard.ts';
import { type Worded as Violation, validate } from './ask.ts';
import { loadReview } from '../../fixtures/load.ts';
import { type FakeNamespace, admissionRequest, configWith, context, defaultConfig, fakeCluster, managedDefaultDeny, networkPolicy, unavailableCluster, users } from '../helpers.ts';

const seedNamespace: FakeNamespace = { labels: { 'netpol-hygiene.io/profile': 'seed' } };

function deleteBy(userInfo: UserInfo): AdmissionRequest {
  return { ...loadReview('networkpolicy-delete').request, userInfo };
}

function updateBy(userInfo: UserInfo): AdmissionRequest {
  return { ...loadReview('networkpolicy-update').request, userInfo };
}

/** The update fixture with `object` replaced by the old object edited by `edit`. */
function updateTo(edit: (old: KubeObject & { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } }) => void): AdmissionRequest {
  const request = loadReview('networkpolicy-update').request;
  const object = structuredClone(request.oldObject) as KubeObject & { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
  edit(object);
  return { ...request, object };
}

const guardViolation = (policy: string, action: 'delete' | 'change', user = 'jane@example.com', profile = 'seed', admins = 'system:masters'): Violation => ({
  rule: 'NP-GUARD',
  message:
    `NP-GUARD: NetworkPolicy "${policy}" in namespace "products-prod" is part of the netpol-hygiene baseline (profile "${profile}"); ` +
    `user "${user}" may not ${action} it; change the profile in the netpol-hygiene config, or ask a member of ${admins}`,
});

const managedAllowAll = networkPolicy('allow-all', { podSelector: {}, ingress: [{}], egress: [{}] }, { 'app.kubernetes.io/managed-by': 'netpol-hygiene' });

const claimViolation = (action: string, user = 'jane@example.com'): Violation => ({
  rule: 'NP-GUARD',
  message:
    'NP-GUARD: NetworkPolicy "allow-all" in namespace "products-prod" carries label app.kubernetes.io/managed-by=netpol-hygiene, ' +
    `which marks the netpol-hygiene baseline and is set only by netpol-hygiene itself; user "${user}" may not ${action}; remove the label, or ask a member of system:masters`,
});

interface Case {
  readonly name: string;
  readonly request: AdmissionRequest;
  readonly namespace?: FakeNamespace | undefined;
  readonly config?: Config;
  readonly violations: Violation[];
}

const cases: readonly Case[] = [
  // DELETE
  { name: 'DELETE (object null) by an ordinary user', request: deleteBy(users.developer), violations: [guardViolation('default-deny', 'delete')] },
  {
    name: 'DELETE in a namespace with another profile names that profile',
    request: deleteBy(users.developer),
    namespace: { labels: { 'netpol-hygiene.io/profile': 'seed-prod' } },
    violations: [guardViolation('default-deny', 'delete', 'jane@example.com', 'seed-prod')],
  },
  {
    name: 'DELETE by a user without a username',
    request: deleteBy({ groups: ['developers'] }),
    violations: [guardViolation('default-deny', 'delete', '(unknown)')],
  },
  { name: "DELETE by the webhook's own service account", request: deleteBy(users.webhook), violations: [] },
  {
    name: "DELETE by another service account in the webhook's namespace",
    request: deleteBy({ username: 'system:serviceaccount:netpol-hygiene:default', groups: ['system:serviceaccounts'] }),
    violations: [guardViolation('default-deny', 'delete', 'system:serviceaccount:netpol-hygiene:default')],
  },
  {
    name: 'DELETE by a configured webhook service account elsewhere',
    request: deleteBy({ username: 'system:serviceaccount:platform:hygiene', groups: ['system:serviceaccounts'] }),
    config: configWith({ webhook: { namespace: 'platform', serviceAccount: 'hygiene' } }),
    violations: [],
  },
  { name: 'DELETE by an admin group (system:masters)', request: deleteBy(users.admin), violations: [] },
  {
    name: 'DELETE by system:masters when the admin groups are configured otherwise',
    request: deleteBy(users.admin),
    config: configWith({ adminGroups: ['platform-admins', 'sre'] }),
    violations: [guardViolation('default-deny', 'delete', 'kubernetes-admin', 'seed', 'platform-admins, sre')],
  },
  {
    name: 'DELETE by the namespace controller while the namespace is terminating',
    request: deleteBy(users.namespaceController),
    namespace: { ...seedNamespace, terminating: true },
    violations: [],
  },
  {
    name: 'DELETE by an ordinary user while the namespace is terminating',
    request: deleteBy(users.developer),
    namespace: { ...seedNamespace, terminating: true },
    violations: [],
  },
  {
    name: 'DELETE by the namespace controller while the namespace is not terminating',
    request: deleteBy(users.namespaceController),
    violations: [guardViolation('default-deny', 'delete', 'system:serviceaccount:kube-system:namespace-controller')],
  },
  { name: 'DELETE in a namespace that is already gone', request: deleteBy(users.developer), namespace: undefined, violations: [] },
  {
    name: 'DELETE of an unmanaged policy',
    request: { ...deleteBy(users.developer), name: 'team-policy', oldObject: networkPolicy('team-policy', { podSelector: {}, policyTypes: ['Ingress'] }) },
    violations: [],
  },
  {
    name: 'DELETE of a policy managed by another tool',
    request: { ...deleteBy(users.developer), oldObject: networkPolicy('default-deny', { podSelector: {} }, { 'app.kubernetes.io/managed-by': 'Helm' }) },
    violations: [],
  },
  {
    name: 'DELETE without oldObject metadata name: named from request.name',
    request: { ...deleteBy(users.developer), oldObject: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'netpol-hygiene' } }, spec: managedDefaultDeny.spec } },
    violations: [guardViolation('default-deny', 'delete')],
  },
  // UPDATE
  { name: 'UPDATE changing the spec (fixture: DNS opened to the cluster)', request: updateBy(users.developer), violations: [guardViolation('allow-dns', 'change')] },
  { name: 'UPDATE changing the spec by an admin', request: updateBy(users.admin), violations: [] },
  { name: 'UPDATE changing the spec by the webhook (restoring it)', request: updateBy(users.webhook), violations: [] },
  {
    name: 'UPDATE touching metadata only (an annotation) by an ordinary user',
    request: updateTo((p) => {
      p.metadata.annotations = { 'team.example.com/reviewed': 'yes' };
    }),
    violations: [],
  },
  {
    name: 'UPDATE adding an unrelated label by an ordinary user',
    request: updateTo((p) => {
      p.metadata.labels['team'] = 'products';
    }),
    violations: [],
  },
  {
    name: 'UPDATE removing the managed-by label (taking it out of management), spec unchanged',
    request: updateTo((p) => {
      delete p.metadata.labels['app.kubernetes.io/managed-by'];
    }),
    violations: [guardViolation('allow-dns', 'change')],
  },
  {
    name: 'UPDATE of an unmanaged policy',
    request: {
      ...updateBy(users.developer),
      oldObject: networkPolicy('allow-dns', { podSelector: {}, policyTypes: ['Egress'] }),
      object: networkPolicy('allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }),
    },
    violations: [],
  },
  // The managed-by label is netpol-hygiene's alone
  {
    name: 'CREATE of a policy carrying the managed-by label by an ordinary user',
    request: admissionRequest('NetworkPolicy', { operation: 'CREATE', object: managedAllowAll }),
    violations: [claimViolation('create a policy with it')],
  },
  {
    name: 'CREATE of a policy carrying the managed-by label by a service account with edit rights',
    request: admissionRequest('NetworkPolicy', { operation: 'CREATE', object: managedAllowAll, userInfo: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts'] } }),
    violations: [claimViolation('create a policy with it', 'system:serviceaccount:ci:deployer')],
  },
  {
    name: 'UPDATE that adds the managed-by label to an own policy',
    request: admissionRequest('NetworkPolicy', { operation: 'UPDATE', object: managedAllowAll, oldObject: networkPolicy('allow-all', managedAllowAll.spec) }),
    violations: [claimViolation('add it')],
  },
  { name: "CREATE of the baseline by the webhook's own service account", request: admissionRequest('NetworkPolicy', { operation: 'CREATE', object: managedDefaultDeny, userInfo: users.webhook }), violations: [] },
  { name: 'CREATE of a labelled policy by an admin', request: admissionRequest('NetworkPolicy', { operation: 'CREATE', object: managedAllowAll, userInfo: users.admin }), violations: [] },
  // Not guarded
  {
    name: 'CREATE of an unlabelled policy',
    request: admissionRequest('NetworkPolicy', { operation: 'CREATE', object: networkPolicy('allow-all', managedAllowAll.spec) }),
    violations: [],
  },
  {
    name: 'DELETE of a labelled policy the profile does not define (an admin made it)',
    request: admissionRequest('NetworkPolicy', { operation: 'DELETE', oldObject: managedAllowAll }),
    violations: [],
  },
  {
    name: 'UPDATE of a labelled policy the profile does not define',
    request: admissionRequest('NetworkPolicy', { operation: 'UPDATE', oldObject: managedAllowAll, object: { ...managedAllowAll, spec: { podSelector: {}, ingress: [] } } }),
    violations: [],
  },
];

t.test('NP-GUARD', async (t) => {
  for (const c of cases) {
    const namespace = 'namespace' in c ? c.namespace : seedNamespace;
    const cluster = fakeCluster({ namespaces: namespace === undefined ? {} : { 'products-prod': namespace } });
    t.strictSame(validate([npGuard], c.request, context(cluster, c.config ?? defaultConfig)), { violations: c.violations, reasons: [] }, c.name);
  }
});

t.test('NP-GUARD reads cluster state only when it has to', async (t) => {
  const allowedWithoutState: readonly [string, AdmissionRequest][] = [
    ['admin', deleteBy(users.admin)],
    ['webhook', deleteBy(users.webhook)],
    ['metadata-only update', updateTo((p) => void (p.metadata.annotations = { note: 'x' }))],
    ['unmanaged', { ...deleteBy(users.developer), oldObject: networkPolicy('mine', { podSelector: {} }) }],
  ];
  for (const [name, request] of allowedWithoutState) {
    t.strictSame(validate([npGuard], request, context(unavailableCluster())).violations, [], `${name}: decided without cluster state`);
  }
  t.throws(() => validate([npGuard], deleteBy(users.developer), context(unavailableCluster())), ClusterStateUnavailableError, 'an ordinary user needs the namespace: fails closed');
});
