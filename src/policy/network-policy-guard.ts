import { isDeepStrictEqual } from 'node:util';
import type { AdmissionRequest } from '../kube/admission-review.ts';
import { profileFor } from '../config/profiles.ts';
import { isManaged, renderBaseline } from './baseline.ts';
import { type Decision, type RuleContext, describeObject, isAdmin, noViolations, webhookServiceAccountUser } from './decision.ts';
import { labels, managerName } from '../kube/vocabulary.ts';

/**
 * NetworkPolicy CREATE/UPDATE/DELETE (validating), NP-GUARD. The managed-by label marks the
 * baseline, so only netpol-hygiene itself (or an admin) may put it on a policy: otherwise a
 * developer's allow-all policy would borrow the baseline's protection. A managed policy that
 * the namespace's profile defines may be deleted or changed only by the webhook itself, an
 * admin group, or the namespace controller cleaning up a terminating namespace.
 * Metadata-only edits (annotations, other labels) are allowed: they do not weaken the policy.
 */
export function guardNetworkPolicy(request: AdmissionRequest, context: RuleContext): Decision {
  const { config } = context;
  if (request.userInfo.username === webhookServiceAccountUser(config) || isAdmin(request, config)) return noViolations;
  if (claimsManagedLabel(request)) return claimViolation(request, context);
  if (request.operation !== 'UPDATE' && request.operation !== 'DELETE') return noViolations;
  const before = request.oldObject;
  if (!isManaged(before)) return noViolations;
  if (request.operation === 'UPDATE' && isManaged(request.object) && isDeepStrictEqual(before?.spec, request.object?.spec)) return noViolations;
  return baselineViolation(request, context);
}

/** A CREATE with the label, or an UPDATE that adds it. */
function claimsManagedLabel(request: AdmissionRequest): boolean {
  if (request.operation === 'CREATE') return isManaged(request.object);
  return request.operation === 'UPDATE' && isManaged(request.object) && !isManaged(request.oldObject);
}

function claimViolation(request: AdmissionRequest, { config }: RuleContext): Decision {
  const action = request.operation === 'CREATE' ? 'create a policy with it' : 'add it';
  const message =
    `NP-GUARD: ${describeObject('NetworkPolicy', request.object, request)} in namespace "${request.namespace ?? ''}" carries label ${labels.managedBy}=${managerName}, ` +
    `which marks the netpol-hygiene baseline and is set only by netpol-hygiene itself; user "${request.userInfo.username ?? '(unknown)'}" may not ${action}; ` +
    `remove the label, or ask a member of ${config.adminGroups.join(', ')}`;
  return { violations: [{ rule: 'NP-GUARD', message }], reasons: [] };
}

function baselineViolation(request: AdmissionRequest, { config, cluster }: RuleContext): Decision {
  const namespaceName = request.namespace ?? '';
  const namespace = cluster.namespace(namespaceName);
  // Gone or going: the namespace controller is deleting everything in it.
  if (namespace === undefined || namespace.terminating) return noViolations;
  const policyName = request.oldObject?.metadata?.name ?? request.name ?? '';
  const { name: profile, profile: definition } = profileFor(namespace.labels, config);
  // Only what the profile defines is the baseline; a labelled policy it does not define was
  // never created by netpol-hygiene (the reconciler deletes those) and is not defended.
  if (!renderBaseline(namespaceName, definition, config).some((policy) => policy.metadata?.name === policyName)) return noViolations;
  const action = request.operation === 'DELETE' ? 'delete' : 'change';
  return {
    violations: [
      {
        rule: 'NP-GUARD',
        message:
          `NP-GUARD: NetworkPolicy "${policyName}" in namespace "${namespaceName}" is part of the netpol-hygiene baseline (profile "${profile}"); ` +
          `user "${request.userInfo.username ?? '(unknown)'}" may not ${action} it; change the profile in the netpol-hygiene config, ` +
          `or ask a member of ${config.adminGroups.join(', ')}`,
      },
    ],
    reasons: [],
  };
}
