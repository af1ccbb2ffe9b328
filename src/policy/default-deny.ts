import type { LabelSelector, NetworkPolicy, NetworkPolicySpec } from '../kube/network-policy.ts';

export interface DefaultDenyCoverage {
  readonly ingress: boolean;
  readonly egress: boolean;
}

/**
 * Whether some policy selects every pod and allows nothing in a direction. Judged by what the
 * policy does, not by its name: `default-deny` that allows everything does not count.
 * When policyTypes is absent or empty, Kubernetes infers Ingress always and Egress only
 * when the policy has egress rules (SetDefaults_NetworkPolicy).
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
 */
export function defaultDenyCoverage(policies: readonly NetworkPolicy[]): DefaultDenyCoverage {
  const denied = policies.map((policy) => deniedBy(policy.spec));
  return { ingress: denied.some((d) => d.ingress), egress: denied.some((d) => d.egress) };
}

/** The directions one policy denies to every pod. */
function deniedBy(spec: NetworkPolicySpec | undefined): DefaultDenyCoverage {
  if (spec === undefined || !selectsEveryPod(spec.podSelector)) return { ingress: false, egress: false };
  const types = policyTypes(spec);
  return { ingress: types.includes('Ingress') && (spec.ingress ?? []).length === 0, egress: types.includes('Egress') && (spec.egress ?? []).length === 0 };
}

function policyTypes(spec: NetworkPolicySpec): readonly string[] {
  if (spec.policyTypes !== undefined && spec.policyTypes.length > 0) return spec.policyTypes;
  return (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

export function missingDirections(coverage: DefaultDenyCoverage): string[] {
  return [...(coverage.ingress ? [] : ['ingress']), ...(coverage.egress ? [] : ['egress'])];
}

function selectsEveryPod(selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return true;
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}
