// POD-PROTECTED (DESIGN.md "Admission behaviour", Pod rows): no pod into a namespace without an
// effective default-deny for ingress and egress; the rule asks for the baseline to be applied
// (self-heal is the handler's: test/unit/handler.test.ts).
import t from 'tap';
import { podProtected } from '../../../src/policy/rules/pod-protected.ts';
import { admissionRequest, context, defaultConfig, fakeCluster, podObject } from '../helpers.ts';
import { validate } from './ask.ts';
import { podCases, unprotected } from './pod-requests.ts';

const applyBaseline = [{ kind: 'apply-baseline', namespace: 'products-prod', rule: 'POD-PROTECTED' }] as const;

t.test('POD-PROTECTED on every pod request of the table', async (t) => {
  for (const c of podCases) {
    const cluster = fakeCluster({
      namespaces: { 'products-prod': { labels: c.namespaceLabels ?? { 'netpol-hygiene.io/profile': 'seed' } } },
      policies: { 'products-prod': c.policies },
    });
    const violations = c.violations.filter((v) => v.rule === 'POD-PROTECTED');
    t.strictSame(validate([podProtected], c.request, context(cluster, c.config ?? defaultConfig)), violations.length === 0 ? { violations, reasons: [] } : { violations, reasons: [], intents: applyBaseline }, c.name);
  }
});

t.test('POD-PROTECTED names a pod by request.name when the object has no name', async (t) => {
  const object = podObject({ labels: { tier: 'ui' } });
  const request = admissionRequest('Pod', { name: 'batch-1', object: { ...object, metadata: { namespace: 'products-prod', labels: { tier: 'ui' } } } });
  t.strictSame(validate([podProtected], request, context()).violations, [unprotected('pod "batch-1"', 'ingress and egress')]);
});

t.test('POD-PROTECTED with neither name nor generateName', async (t) => {
  const request = admissionRequest('Pod', { object: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { tier: 'ui' } } } });
  t.strictSame(validate([podProtected], request, context()).violations, [unprotected('pod (unnamed)', 'ingress and egress')]);
});

