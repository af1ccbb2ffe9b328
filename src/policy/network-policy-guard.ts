import { isDeepStrictEqual } from 'node:util';
import type { AdmissionRequest } from '../admission/review.ts';
import { isManaged, profileFor } from './baseline.ts';
import { type Decision, type RuleContext, isAdmin, noViolations, webhookServiceAccountUser } from './decision.ts';

/**
 * NetworkPolicy UPDATE/DELETE (validating), NP-GUARD: a managed baseline policy may be
 * deleted or changed only by the webhook itself, an admin group, or the namespace
 * controller cleaning up a terminating namespace. Metadata-only edits (annotations, other
 * labels) are allowed: they do not weaken the policy.
 */
export function guardNetworkPolicy(request: AdmissionRequest, { config, cluster }: RuleContext): Decision {
  const before = request.oldObject;
  if ((request.operation !== 'UPDATE' && request.operation !== 'DELETE') || !isManaged(before)) return noViolations;
  if (request.operation === 'UPDATE' && isManaged(request.object) && isDeepStrictEqual(before?.spec, request.object?.spec)) return noViolations;
  if (request.userInfo.username === webhookServiceAccountUser(config) || isAdmin(request, config)) return noViolations;
  const namespaceName = request.namespace ?? '';
  const namespace = cluster.namespace(namespaceName);
  // Gone or going: the namespace controller is deleting everything in it.
  if (namespace === undefined || namespace.terminating) return noViolations;
  const policyName = before?.metadata?.name ?? request.name ?? '';
  const action = request.operation === 'DELETE' ? 'delete' : 'change';
  const { name: profile } = profileFor(namespace.labels, config);
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
