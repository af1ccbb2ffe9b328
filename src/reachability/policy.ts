import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../kube/network-policy.ts';
import { InvalidPolicyError } from './errors.ts';
import { parseSelector, type Selector } from './label-selector.ts';
import { parsePeer, type Peer } from './peers.ts';
import { parsePortRule, type PortRule } from './ports.ts';

export type Direction = 'ingress' | 'egress';

/** One ingress or egress rule: empty `peers` matches every peer, empty `ports` every port. */
export interface Rule {
  readonly index: number;
  readonly peers: readonly Peer[];
  readonly ports: readonly PortRule[];
}

/** A NetworkPolicy with its defaults applied and its selectors, peers and ports parsed once. */
export interface Policy {
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name`, how reasons name the policy. */
  readonly key: string;
  readonly podSelector: Selector;
  /** The effective policyTypes: whether the policy isolates the pods it selects in that direction. */
  readonly isolates: Readonly<Record<Direction, boolean>>;
  readonly rules: Readonly<Record<Direction, readonly Rule[]>>;
}

/**
 * Reads a NetworkPolicy as written in a manifest or as the API server returns it. When
 * `policyTypes` is absent or empty the API server sets it (SetDefaults_NetworkPolicy):
 * Ingress always, Egress when `egress` has at least one rule. A policy with `policyTypes:
 * [Egress]` therefore does not isolate for ingress even when it lists ingress rules.
 * https://kubernetes.io/docs/reference/kubernetes-api/networking/network-policy-v1/#NetworkPolicySpec
 */
export function parsePolicy(policy: NetworkPolicy, defaultNamespace = 'default'): Policy {
  const namespace = policy.metadata?.namespace ?? defaultNamespace;
  const name = policy.metadata?.name;
  if (name === undefined || name === '') throw new InvalidPolicyError(`NetworkPolicy in ${namespace}`, 'metadata.name is required');
  const key = `${namespace}/${name}`;
  const spec = policy.spec ?? {};
  const ingress = (spec.ingress ?? []).map((rule, index) => parseRule(index, { peers: rule?.from, ports: rule?.ports }, `${key}: spec.ingress[${index}]`, 'from'));
  const egress = (spec.egress ?? []).map((rule, index) => parseRule(index, { peers: rule?.to, ports: rule?.ports }, `${key}: spec.egress[${index}]`, 'to'));
  return {
    namespace,
    name,
    key,
    podSelector: parseSelector(spec.podSelector, `${key}: spec.podSelector`),
    isolates: effectiveTypes(spec.policyTypes, egress.length > 0, key),
    rules: { ingress, egress },
  };
}

function effectiveTypes(policyTypes: readonly string[] | null | undefined, hasEgress: boolean, key: string): Record<Direction, boolean> {
  for (const [index, type] of (policyTypes ?? []).entries()) {
    if (type !== 'Ingress' && type !== 'Egress') throw new InvalidPolicyError(`${key}: spec.policyTypes[${index}]`, `"${type}" is not one of Ingress, Egress`);
  }
  return isolatedDirections(policyTypes, hasEgress);
}

/**
 * The directions a policy isolates. When policyTypes is absent or empty the API server fills
 * it (SetDefaults_NetworkPolicy): Ingress always, Egress when the policy has egress rules.
 */
export function isolatedDirections(policyTypes: readonly string[] | null | undefined, hasEgress: boolean): Record<Direction, boolean> {
  if (policyTypes === undefined || policyTypes === null || policyTypes.length === 0) return { ingress: true, egress: hasEgress };
  return { ingress: policyTypes.includes('Ingress'), egress: policyTypes.includes('Egress') };
}

interface RawRule {
  readonly peers: readonly NetworkPolicyPeer[] | null | undefined;
  readonly ports: readonly NetworkPolicyPort[] | null | undefined;
}

function parseRule(index: number, { peers, ports }: RawRule, path: string, peersField: 'from' | 'to'): Rule {
  return {
    index,
    peers: (peers ?? []).map((peer, i) => parsePeer(peer ?? {}, `${path}.${peersField}[${i}]`)),
    ports: (ports ?? []).map((port, i) => parsePortRule(port ?? {}, `${path}.ports[${i}]`)),
  };
}
