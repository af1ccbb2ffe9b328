import { isDeepStrictEqual } from 'node:util';
import type { AdmissionRequest, KubeObject } from '../kube/admission-review.ts';
import { ceilingMessages } from '../ceiling/messages.ts';
import { ClusterStateUnavailableError, type Decision, type RuleContext, isAdmin, noViolations, webhookServiceAccountUser } from './decision.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';

/**
 * NetworkPolicy CREATE/UPDATE (validating), NP-CEILING: a policy may not allow any connection
 * beyond its namespace's ceiling (docs/ceiling.md). The webhook itself and admin groups may;
 * an admin's widening is allowed and named in the audit record. An UPDATE that leaves the spec
 * as it was (labels, annotations) is not judged: a policy that predates the ceiling can still
 * be relabelled, and is reported by the reconciler instead.
 */
export function checkNetworkPolicyCeiling(request: AdmissionRequest, context: RuleContext): Decision {
  const object = request.object;
  if (!object || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return noViolations;
  if (request.userInfo.username === webhookServiceAccountUser(context.config)) return noViolations;
  if (request.operation === 'UPDATE' && isDeepStrictEqual(request.oldObject?.spec, object.spec)) return noViolations;
  if (isAdmin(request, context.config)) return adminDecision(request, context);
  return { violations: messagesFor(request, context).map((message) => ({ rule: 'NP-CEILING', message })), reasons: [] };
}

/** The messages for every rule beyond the namespace's ceiling; none when the policy is within it. */
function messagesFor(request: AdmissionRequest, { config, cluster }: RuleContext): string[] {
  const object = request.object as KubeObject;
  const namespace = request.namespace ?? '';
  const name = object.metadata?.name ?? request.name ?? object.metadata?.generateName ?? '(unnamed)';
  return ceilingMessages({ object: object as NetworkPolicy, name, namespace, namespaceLabels: cluster.namespace(namespace)?.labels }, config);
}

/** Allowed; what was beyond the ceiling goes into the audit record. */
function adminDecision(request: AdmissionRequest, context: RuleContext): Decision {
  let messages: string[];
  try {
    messages = messagesFor(request, context);
  } catch (error) {
    // An admin needs no cluster state to be allowed; only the note is lost.
    if (error instanceof ClusterStateUnavailableError) return noViolations;
    throw error;
  }
  const groups = (request.userInfo.groups ?? []).filter((group) => context.config.adminGroups.includes(group));
  return { violations: [], reasons: messages.map((message) => `allowed for admin group ${groups.join(', ')}: ${message}`) };
}
