import fc from 'fast-check';
import t from 'tap';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { reachabilityMatrix } from '../../src/reachability/matrix.ts';
import { podKey } from '../../src/reachability/model.ts';
import { evaluate, isolatingPolicies } from '../../src/reachability/verdict.ts';
import { buildWorld } from '../../src/reachability/world.ts';
import { policiesArb, podsArb, trafficArb } from './reachability-arbitraries.ts';

const runs = { numRuns: 300 };

t.test('the matrix agrees with the pairwise verdict on every pair', async (t) => {
  fc.assert(
    fc.property(podsArb, policiesArb, trafficArb, (pods, policies, traffic) => {
      const world = buildWorld({ pods, policies });
      const matrix = reachabilityMatrix(world, traffic);
      return world.pods.every((from, i) => world.pods.every((to, j) => matrix.allowed(i, j) === evaluate(world, { pod: from }, { pod: to }, traffic).allowed));
    }),
    runs,
  );
  t.pass('300 random worlds');
});

t.test('a pod no policy isolates for ingress is reachable from every pod whose egress allows it, and from outside', async (t) => {
  fc.assert(
    fc.property(podsArb, policiesArb, trafficArb, (pods, policies, traffic) => {
      const world = buildWorld({ pods, policies });
      return world.pods
        .filter((to) => isolatingPolicies(world, to, 'ingress').length === 0)
        .every((to) => evaluate(world, { ip: '203.0.113.7' }, { pod: to }, traffic).allowed && world.pods.every((from) => evaluate(world, { pod: from }, { pod: to }, traffic).allowed === evaluate(world, { pod: from }, { pod: to }, traffic).egress?.allowed));
    }),
    runs,
  );
  t.pass('holds');
});

t.test('a pod that no policy selects at all is reachable from everywhere and reaches everything its peers accept', async (t) => {
  fc.assert(
    fc.property(podsArb, trafficArb, (pods, traffic) => {
      const world = buildWorld({ pods, policies: [] });
      return world.pods.every((from) => world.pods.every((to) => evaluate(world, { pod: from }, { pod: to }, traffic).allowed));
    }),
    runs,
  );
  t.pass('holds');
});

/** Adds an allow-all rule of each direction the policy already isolates: it isolates no new pod. */
function withExtraRules(policies: NetworkPolicy[], index: number): NetworkPolicy[] {
  return policies.map((policy, i) => {
    if (i !== index) return policy;
    const spec = policy.spec ?? {};
    const types = spec.policyTypes;
    const extraEgress = types !== undefined && types.includes('Egress') ? [...(spec.egress ?? []), { ports: [{ port: 80 }] }] : spec.egress;
    return { ...policy, spec: { ...spec, ingress: [...(spec.ingress ?? []), { from: [{ namespaceSelector: {} }] }], ...(extraEgress === undefined ? {} : { egress: extraEgress }) } };
  });
}

t.test('adding an allow rule never removes a connection', async (t) => {
  fc.assert(
    fc.property(podsArb, policiesArb.filter((p) => p.length > 0), trafficArb, fc.nat(), (pods, policies, traffic, pick) => {
      const before = buildWorld({ pods, policies });
      const after = buildWorld({ pods, policies: withExtraRules(policies, pick % policies.length) });
      const a = reachabilityMatrix(before, traffic);
      const b = reachabilityMatrix(after, traffic);
      return before.pods.every((_, i) => before.pods.every((__, j) => !a.allowed(i, j) || b.allowed(i, j)));
    }),
    runs,
  );
  t.pass('holds');
});

t.test('adding a policy removes connections only to or from the pods it newly isolates', async (t) => {
  fc.assert(
    fc.property(podsArb, policiesArb, policiesArb.filter((p) => p.length > 0), trafficArb, (pods, policies, extra, traffic) => {
      const added = { ...(extra[0] as NetworkPolicy), metadata: { ...extra[0]?.metadata, name: 'added' } };
      const before = buildWorld({ pods, policies });
      const after = buildWorld({ pods, policies: [...policies, added] });
      const newlyIsolated = (key: string, direction: 'ingress' | 'egress'): boolean => {
        const pod = before.podsByKey.get(key);
        return pod !== undefined && isolatingPolicies(before, pod, direction).length === 0 && isolatingPolicies(after, pod, direction).length > 0;
      };
      return before.pods.every((from) => before.pods.every((to) => {
        const lost = evaluate(before, { pod: from }, { pod: to }, traffic).allowed && !evaluate(after, { pod: from }, { pod: to }, traffic).allowed;
        return !lost || newlyIsolated(podKey(from), 'egress') || newlyIsolated(podKey(to), 'ingress');
      }));
    }),
    runs,
  );
  t.pass('holds');
});
