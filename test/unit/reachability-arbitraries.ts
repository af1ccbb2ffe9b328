/**
 * fast-check generators over a small universe (label keys a, b, c; values 1, 2, 3), so that
 * properties can be checked against brute force: every label set that could matter is one of
 * the few built from these keys plus the value 4, which no selector names.
 */
import fc from 'fast-check';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../../src/kube/network-policy.ts';
import type { ContainerPort, PodInfo } from '../../src/reachability/model.ts';

export const keys = ['a', 'b', 'c'] as const;
export const values = ['1', '2', '3'] as const;
/** A value no generated selector names: stands for every such value. */
export const otherValue = '4';

const valueList = fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 });

export const selectorArb: fc.Arbitrary<LabelSelector> = fc.record(
  {
    matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 2 }),
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom('In', 'NotIn'), values: valueList }),
        fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
      ),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
);

/** Every label set over the universe: each key absent or one of the values, or the other value. */
export function allLabelSets(): Record<string, string>[] {
  let sets: Record<string, string>[] = [{}];
  for (const key of keys) sets = sets.flatMap((set) => [set, ...[...values, otherValue].map((value) => ({ ...set, [key]: value }))]);
  return sets;
}

export const labelsArb = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values, otherValue), { maxKeys: 3 });

const ipArb = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.1.1', 'fd00::1');
const portArb: fc.Arbitrary<ContainerPort> = fc.record({ name: fc.constantFrom('web', 'alt'), containerPort: fc.constantFrom(80, 81), protocol: fc.constantFrom('TCP' as const, 'UDP' as const) });

export const podArb = (name: string): fc.Arbitrary<PodInfo> =>
  fc.record({
    namespace: fc.constantFrom('x', 'y'),
    name: fc.constant(name),
    labels: labelsArb,
    ips: fc.uniqueArray(ipArb, { maxLength: 1 }),
    ports: fc.uniqueArray(portArb, { maxLength: 2, selector: (p) => `${p.name}/${p.protocol}` }),
  });

export const podsArb: fc.Arbitrary<PodInfo[]> = fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => podArb(`p${i}`))));

const peerArb: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  fc.record({ podSelector: selectorArb }),
  fc.record({ namespaceSelector: selectorArb }),
  fc.record({ podSelector: selectorArb, namespaceSelector: selectorArb }),
  fc.record({ ipBlock: fc.record({ cidr: fc.constantFrom('10.0.0.0/24', '10.0.0.0/8', '0.0.0.0/0', '::/0'), except: fc.constantFrom(undefined, ['10.0.0.2/32']) }, { requiredKeys: ['cidr'] }) }),
);

const policyPortArb: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
  fc.record({ protocol: fc.constantFrom('TCP' as const, 'UDP' as const), port: fc.constantFrom(80, 81) }, { requiredKeys: [] }),
  fc.record({ port: fc.constant(80), endPort: fc.constant(81) }),
  fc.record({ protocol: fc.constantFrom('TCP' as const, 'UDP' as const), port: fc.constantFrom('web', 'alt') }, { requiredKeys: ['port'] }),
);

const ruleArb = fc.record({ peers: fc.array(peerArb, { maxLength: 2 }), ports: fc.array(policyPortArb, { maxLength: 2 }) }, { requiredKeys: [] });

export const policyArb = (name: string): fc.Arbitrary<NetworkPolicy> =>
  fc
    .record({
      namespace: fc.constantFrom('x', 'y'),
      podSelector: selectorArb,
      policyTypes: fc.constantFrom(undefined, ['Ingress' as const], ['Egress' as const], ['Ingress' as const, 'Egress' as const]),
      ingress: fc.option(fc.array(ruleArb, { maxLength: 2 }), { nil: undefined }),
      egress: fc.option(fc.array(ruleArb, { maxLength: 2 }), { nil: undefined }),
    })
    .map(({ namespace, podSelector, policyTypes, ingress, egress }) => ({
      metadata: { name, namespace },
      spec: {
        podSelector,
        ...(policyTypes === undefined ? {} : { policyTypes }),
        ...(ingress === undefined ? {} : { ingress: ingress.map((r) => ({ ...(r.peers === undefined ? {} : { from: r.peers }), ...(r.ports === undefined ? {} : { ports: r.ports }) })) }),
        ...(egress === undefined ? {} : { egress: egress.map((r) => ({ ...(r.peers === undefined ? {} : { to: r.peers }), ...(r.ports === undefined ? {} : { ports: r.ports }) })) }),
      },
    }));

export const policiesArb: fc.Arbitrary<NetworkPolicy[]> = fc.integer({ min: 0, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => policyArb(`np${i}`))));

export const trafficArb = fc.record({ port: fc.constantFrom(80, 81, 82), protocol: fc.constantFrom('TCP' as const, 'UDP' as const) });
