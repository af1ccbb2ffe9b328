// DESIGN.md "Admission behaviour", subresource row: governed labels cannot change through
// namespaces/status, namespaces/finalize or pods/status.
import t from 'tap';
import type { AdmissionRequest, KubeObject, UserInfo } from '../../src/kube/admission-review.ts';
import type { RuleContext } from '../../src/policy/decision.ts';
import { registeredRules } from '../../src/policy/rules/registry.ts';
import { type Answer, type Worded as Violation, validate } from './rules/ask.ts';
import { admissionRequest, context, fakeCluster, namespaceObject, podObject, users } from './helpers.ts';

function through(subResource: string, request: AdmissionRequest): AdmissionRequest {
  return { ...request, subResource };
}

function namespaceUpdate(before: Record<string, string>, after: Record<string, string>, userInfo: UserInfo = users.developer): AdmissionRequest {
  return admissionRequest('Namespace', { operation: 'UPDATE', oldObject: namespaceObject('products-prod', before), object: namespaceObject('products-prod', after), userInfo });
}

function podUpdate(before: Record<string, string>, after: Record<string, string>): AdmissionRequest {
  return admissionRequest('Pod', { operation: 'UPDATE', name: 'db-0', oldObject: podObject({ name: 'db-0', labels: before }), object: podObject({ name: 'db-0', labels: after }) });
}

const seed = { 'netpol-hygiene.io/profile': 'seed' };

/** Every registered rule, as the validating webhook asks them: through a subresource, only that subresource's rules run. */
function validateAll(request: AdmissionRequest, context: RuleContext): Answer {
  return validate(registeredRules, request, context);
}

interface Case {
  readonly name: string;
  readonly request: AdmissionRequest;
  readonly violations: Violation[];
}

const namespaceCases: readonly Case[] = [
  {
    name: 'namespaces/status removing the profile label',
    request: through('status', namespaceUpdate(seed, {})),
    violations: [
      {
        rule: 'NS-LABELS',
        message: 'NS-LABELS: namespaces/status may not change label netpol-hygiene.io/profile (seed → unset) on namespace "products-prod"; labels change only through the namespace itself',
      },
    ],
  },
  {
    name: 'namespaces/finalize setting a mode and a profile, even by an admin',
    request: through('finalize', namespaceUpdate(seed, { 'netpol-hygiene.io/profile': 'none', 'netpol-hygiene.io/mode': 'audit' }, users.admin)),
    violations: [
      {
        rule: 'NS-LABELS',
        message:
          'NS-LABELS: namespaces/finalize may not change label netpol-hygiene.io/mode (unset → audit), netpol-hygiene.io/profile (seed → none) on namespace "products-prod"; labels change only through the namespace itself',
      },
    ],
  },
  { name: 'namespaces/finalize by the namespace controller, labels untouched', request: through('finalize', namespaceUpdate(seed, seed, users.namespaceController)), violations: [] },
  { name: 'namespaces/status changing another label', request: through('status', namespaceUpdate(seed, { ...seed, team: 'a' })), violations: [] },
  {
    name: 'namespaces/status of a namespace with an unknown profile, labels untouched (never blocks deletion)',
    request: through('status', namespaceUpdate({ 'netpol-hygiene.io/profile': 'retired' }, { 'netpol-hygiene.io/profile': 'retired' })),
    violations: [],
  },
];

const podCases: readonly Case[] = [
  {
    name: 'pods/status removing the tier label',
    request: through('status', podUpdate({ tier: 'db' }, {})),
    violations: [{ rule: 'POD-TIER', message: 'POD-TIER: pods/status may not change label tier (db → unset) on pod "db-0" in namespace "products-prod"; labels change only through the pod itself' }],
  },
  {
    name: 'pods/status moving to another valid tier',
    request: through('status', podUpdate({ tier: 'business' }, { tier: 'db' })),
    violations: [{ rule: 'POD-TIER', message: 'POD-TIER: pods/status may not change label tier (business → db) on pod "db-0" in namespace "products-prod"; labels change only through the pod itself' }],
  },
  { name: 'pods/status changing another label', request: through('status', podUpdate({ tier: 'db', app: 'a' }, { tier: 'db', app: 'b' })), violations: [] },
];

t.test('namespaces/status and namespaces/finalize', async (t) => {
  for (const c of namespaceCases) {
    t.strictSame(validateAll(c.request, context(fakeCluster())), { violations: c.violations, reasons: [] }, c.name);
  }
});

t.test('pods/status', async (t) => {
  const cluster = fakeCluster();
  for (const c of podCases) {
    t.strictSame(validateAll(c.request, context(cluster)), { violations: c.violations, reasons: [] }, c.name);
  }
  t.same(cluster.reads, [], 'decided from the request alone');
});

t.test('the main resource keeps its own rules', async (t) => {
  const moved = podUpdate({ tier: 'business' }, { tier: 'db' });
  t.strictSame(validateAll(moved, context()).violations, [], 'moving between valid tiers on the pod itself is allowed');
  const object: KubeObject = namespaceObject('products-prod', {});
  t.equal(validateAll({ ...namespaceUpdate(seed, {}), object }, context()).violations[0]?.rule, 'NS-DEFAULT-DENY');
});
