import type { LabelSelector, NetworkPolicy, NetworkPolicySpec } from '../kube/network-policy.ts';
import { isolatedDirections } from '../reachability/policy.ts';

export interface DefaultDenyCoverage {
  readonly ingress: boolean;
  readonly egress: boolean;
}

/**
 * Whether some policy selects every pod and allows nothing in a direction. Judged by what the
 * policy does, not by its name: `default-deny` that allows everything does not count.
 * policyTypes are defaulted as the API server does (isolatedDirections).
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
 */
export function defaultDenyCoverage(policies: readonly NetworkPolicy[]): DefaultDenyCoverage {
  const denied = policies.map((policy) => deniedBy(policy.spec));
  return { ingress: denied.some((d) => d.ingress), egress: denied.some((d) => d.egress) };
}

/** The directions one policy denies to every pod. */
function deniedBy(spec: NetworkPolicySpec | undefined): DefaultDenyCoverage {
  if (spec === undefined || !selectsEveryPod(spec.podSelector)) return { ingress: false, egress: false };
  const isolates = isolatedDirections(spec.policyTypes, (spec.egress ?? []).length > 0);
  return { ingress: isolates.ingress && (spec.ingress ?? []).length === 0, egress: isolates.egress && (spec.egress ?? []).length === 0 };
}

export function missingDirections(coverage: DefaultDenyCoverage): string[] {
  return [...(coverage.ingress ? [] : ['ingress']), ...(coverage.egress ? [] : ['egress'])];
}

function selectsEveryPod(selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return true;
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}
