import type { LabelSelector, NetworkPolicy } from '../kube/network-policy.ts';

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
  let ingress = false;
  let egress = false;
  for (const policy of policies) {
    const spec = policy.spec;
    if (spec === undefined || !selectsEveryPod(spec.podSelector)) continue;
    const types = spec.policyTypes !== undefined && spec.policyTypes.length > 0 ? spec.policyTypes : (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    if (types.includes('Ingress') && (spec.ingress ?? []).length === 0) ingress = true;
    if (types.includes('Egress') && (spec.egress ?? []).length === 0) egress = true;
  }
  return { ingress, egress };
}

export function missingDirections(coverage: DefaultDenyCoverage): string[] {
  return [...(coverage.ingress ? [] : ['ingress']), ...(coverage.egress ? [] : ['egress'])];
}

function selectsEveryPod(selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return true;
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}
