// The registry: which rules answer which requests (as the webhook configuration sends them),
// and every rule of a request together, in registry order, as users read them joined.
import t from 'tap';
import type { AdmissionRequest, Operation } from '../../../src/kube/admission-review.ts';
import { registeredRules, rulesFor } from '../../../src/policy/rules/registry.ts';
import type { Webhook } from '../../../src/policy/rules/registration.ts';
import { type RequestKind, admissionRequest, context, defaultConfig, fakeCluster } from '../helpers.ts';
import { validate } from './ask.ts';
import { namespaceCases } from './namespace-requests.ts';
import { podCases } from './pod-requests.ts';

const applyBaseline = [{ kind: 'apply-baseline', namespace: 'products-prod', rule: 'POD-PROTECTED' }] as const;

t.test('the rules registered for each request the webhook configuration sends', async (t) => {
  const cases: readonly [Webhook, RequestKind, Operation, string, string[]][] = [
    ['mutate', 'Namespace', 'CREATE', '', ['NS-DEFAULT-DENY']],
    ['mutate', 'Pod', 'CREATE', '', ['POD-TIER']],
    ['mutate', 'NetworkPolicy', 'CREATE', '', []],
    ['validate', 'Namespace', 'CREATE', '', ['NS-DEFAULT-DENY', 'NS-LABELS']],
    ['validate', 'Namespace', 'UPDATE', '', ['NS-DEFAULT-DENY', 'NS-LABELS']],
    ['validate', 'Namespace', 'UPDATE', 'status', ['NS-LABELS']],
    ['validate', 'Namespace', 'UPDATE', 'finalize', ['NS-LABELS']],
    ['validate', 'Pod', 'CREATE', '', ['POD-TIER', 'POD-PROTECTED']],
    ['validate', 'Pod', 'UPDATE', '', ['POD-TIER']],
    ['validate', 'Pod', 'UPDATE', 'status', ['POD-TIER']],
    ['validate', 'Pod', 'UPDATE', 'ephemeralcontainers', ['POD-TIER']],
    ['validate', 'NetworkPolicy', 'CREATE', '', ['NP-GUARD', 'NP-CEILING']],
    ['validate', 'NetworkPolicy', 'UPDATE', '', ['NP-GUARD', 'NP-CEILING']],
    ['validate', 'NetworkPolicy', 'DELETE', '', ['NP-GUARD']],
    ['validate', 'ConfigMap', 'CREATE', '', []],
  ];
  for (const [webhook, kind, operation, subResource, ids] of cases) {
    const request: AdmissionRequest = { ...admissionRequest(kind, { operation }), ...(subResource === '' ? {} : { subResource }) };
    t.strictSame(rulesFor(webhook, request).map((rule) => rule.id), ids, `${webhook} ${kind} ${operation}${subResource === '' ? '' : ` /${subResource}`}`);
  }
});

t.test('every namespace request: NS-DEFAULT-DENY, then NS-LABELS', async (t) => {
  for (const c of namespaceCases) {
    t.strictSame(validate(registeredRules, c.request, context(fakeCluster())), { violations: c.violations, reasons: [] }, c.name);
  }
});

t.test('every pod request: POD-TIER, then POD-PROTECTED and its intent', async (t) => {
  for (const c of podCases) {
    const cluster = fakeCluster({
      namespaces: { 'products-prod': { labels: c.namespaceLabels ?? { 'netpol-hygiene.io/profile': 'seed' } } },
      policies: { 'products-prod': c.policies },
    });
    const protectedNeeded = c.violations.some((v) => v.rule === 'POD-PROTECTED');
    const expected = protectedNeeded ? { violations: c.violations, reasons: [], intents: applyBaseline } : { violations: c.violations, reasons: [] };
    t.strictSame(validate(registeredRules, c.request, context(cluster, c.config ?? defaultConfig)), expected, c.name);
  }
});
