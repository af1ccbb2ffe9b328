import { isDeepStrictEqual } from 'node:util';
import type { AdmissionRequest, KubeObject } from '../../kube/admission-review.ts';
import type { NetworkPolicy } from '../../kube/network-policy.ts';
import { formatViolation, type Violation } from '../../kube/violation.ts';
import { ceilingViolations } from '../../ceiling/messages.ts';
import { ClusterStateUnavailableError, type RuleContext, type RuleResult, isAdmin, noViolations, violating, webhookServiceAccountUser } from '../decision.ts';
import { type RegisteredRule, networkPolicyKind } from './registration.ts';

/**
 * NP-CEILING: a policy may not allow any connection beyond its namespace's ceiling
 * (docs/ceiling.md). The webhook itself and admin groups may; an admin's widening is allowed
 * and named in the audit record. An UPDATE that leaves the spec as it was (labels,
 * annotations) is not judged: a policy that predates the ceiling can still be relabelled, and
 * is reported by the reconciler instead.
 */
export const npCeiling: RegisteredRule = {
  id: 'NP-CEILING',
  webhook: 'validate',
  kinds: [networkPolicyKind],
  operations: ['CREATE', 'UPDATE'],
  subresources: [''],
  check: checkCeiling,
};

function checkCeiling(request: AdmissionRequest, context: RuleContext): RuleResult {
  if (!request.object || request.userInfo.username === webhookServiceAccountUser(context.config)) return noViolations;
  if (request.operation === 'UPDATE' && isDeepStrictEqual(request.oldObject?.spec, request.object.spec)) return noViolations;
  if (isAdmin(request, context.config)) return adminResult(request, context);
  return violating(violationsFor(request, context));
}

/** One violation for every rule beyond the namespace's ceiling; none when the policy is within it. */
function violationsFor(request: AdmissionRequest, { config, cluster }: RuleContext): Violation[] {
  const object = request.object as KubeObject;
  const namespace = request.namespace ?? '';
  const name = object.metadata?.name ?? request.name ?? object.metadata?.generateName ?? '(unnamed)';
  return ceilingViolations({ object: object as NetworkPolicy, name, namespace, namespaceLabels: cluster.namespace(namespace)?.labels }, config);
}

/** Allowed; what was beyond the ceiling goes into the audit record. */
function adminResult(request: AdmissionRequest, context: RuleContext): RuleResult {
  let violations: Violation[];
  try {
    violations = violationsFor(request, context);
  } catch (error) {
    // An admin needs no cluster state to be allowed; only the note is lost.
    if (error instanceof ClusterStateUnavailableError) return noViolations;
    throw error;
  }
  const groups = (request.userInfo.groups ?? []).filter((group) => context.config.adminGroups.includes(group));
  return { violations: [], reasons: violations.map((violation) => `allowed for admin group ${groups.join(', ')}: ${formatViolation(violation)}`) };
}
