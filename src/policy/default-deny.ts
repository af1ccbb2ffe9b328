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
  let ingress = false;
  let egress = false;
  for (const policy of policies) {
    const denied = deniedBy(policy.spec);
    ingress ||= denied.ingress;
    egress ||= denied.egress;
  }
  return ingress && egress ? both : { ingress, egress };
}

const both: DefaultDenyCoverage = { ingress: true, egress: true };
const neither: DefaultDenyCoverage = { ingress: false, egress: false };

/**
 * What each policy spec denies, worked out once: every pod admission asks it of its
 * namespace's policies, and the informer cache hands out the same spec objects until they
 * change (specs are never edited in place: a change is a new object from the watch).
 */
const deniedBySpec = new WeakMap<NetworkPolicySpec, DefaultDenyCoverage>();

/** The directions one policy denies to every pod. */
function deniedBy(spec: NetworkPolicySpec | undefined): DefaultDenyCoverage {
  if (spec === undefined) return neither;
  let denied = deniedBySpec.get(spec);
  if (denied === undefined) {
    denied = directionsDenied(spec);
    deniedBySpec.set(spec, denied);
  }
  return denied;
}

function directionsDenied(spec: NetworkPolicySpec): DefaultDenyCoverage {
  if (!selectsEveryPod(spec.podSelector)) return neither;
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
