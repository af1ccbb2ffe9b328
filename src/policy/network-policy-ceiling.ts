import { isDeepStrictEqual } from 'node:util';
import type { AdmissionRequest, KubeObject } from '../admission/review.ts';
import { describeWidening } from '../ceiling/describe.ts';
import { PolicyTooLargeError, tooLargeToJudge, widenings } from '../ceiling/judge.ts';
import { ceilingFor } from '../ceiling/model.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { parsePolicy, type Policy } from '../reachability/policy.ts';
import { profileFor } from './baseline.ts';
import { ClusterStateUnavailableError, type Decision, type RuleContext, describeObject, isAdmin, noViolations, webhookServiceAccountUser } from './decision.ts';
import type { NetworkPolicy } from './network-policy.ts';

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
  return { violations: ceilingMessages(request, context).map((message) => ({ rule: 'NP-CEILING', message })), reasons: [] };
}

/** The messages for every rule beyond the ceiling; none when the policy is within it. */
export function ceilingMessages(request: AdmissionRequest, { config, cluster }: RuleContext): string[] {
  const object = request.object as KubeObject;
  const namespace = request.namespace ?? '';
  const { name: profileName, profile } = profileFor(cluster.namespace(namespace)?.labels, config);
  const ceiling = ceilingFor(namespace, profileName, profile, config);
  const subject = `NP-CEILING: ${describeObject('NetworkPolicy', object, request)} in namespace "${namespace}"`;
  const admins = `or ask a member of ${config.adminGroups.join(', ')}`;
  let policy: Policy;
  try {
    if (tooLargeToJudge((object as NetworkPolicy).spec)) throw new PolicyTooLargeError();
    policy = parseAs(object, namespace, request);
  } catch (error) {
    if (error instanceof PolicyTooLargeError) return [tooLarge(subject, profileName, error, admins)];
    if (!(error instanceof InvalidPolicyError)) throw error;
    return [`${subject} cannot be judged against profile "${profileName}": ${error.message.replace(/^[^:]*: /, '')}; fix the policy, ${admins}`];
  }
  try {
    return widenings(policy, ceiling).map((widening) => `${subject} ${describeWidening(widening, ceiling)}, ${admins}`);
  } catch (error) {
    if (!(error instanceof PolicyTooLargeError)) throw error;
    return [tooLarge(subject, profileName, error, admins)];
  }
}

function tooLarge(subject: string, profileName: string, error: PolicyTooLargeError, admins: string): string {
  return `${subject} cannot be judged against profile "${profileName}": ${error.message}; split it into smaller policies, ${admins}`;
}

function parseAs(object: KubeObject, namespace: string, request: AdmissionRequest): Policy {
  const name = object.metadata?.name ?? request.name ?? object.metadata?.generateName ?? '(unnamed)';
  return parsePolicy({ ...(object as NetworkPolicy), metadata: { ...object.metadata, name, namespace } });
}

/** Allowed; what was beyond the ceiling goes into the audit record. */
function adminDecision(request: AdmissionRequest, context: RuleContext): Decision {
  let messages: string[];
  try {
    messages = ceilingMessages(request, context);
  } catch (error) {
    // An admin needs no cluster state to be allowed; only the note is lost.
    if (error instanceof ClusterStateUnavailableError) return noViolations;
    throw error;
  }
  const groups = (request.userInfo.groups ?? []).filter((group) => context.config.adminGroups.includes(group));
  return { violations: [], reasons: messages.map((message) => `allowed for admin group ${groups.join(', ')}: ${message}`) };
}
