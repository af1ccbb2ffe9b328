import { isDeepStrictEqual } from 'node:util';
import type { AdmissionRequest } from '../../kube/admission-review.ts';
import { profileFor } from '../../config/profiles.ts';
import { labels, managerName } from '../../kube/vocabulary.ts';
import type { Violation } from '../../kube/violation.ts';
import { isManaged, renderBaseline } from '../baseline.ts';
import { type RuleContext, type RuleResult, describeObject, isAdmin, noViolations, violating, webhookServiceAccountUser } from '../decision.ts';
import { type RegisteredRule, networkPolicyKind } from './registration.ts';

/**
 * NP-GUARD. The managed-by label marks the baseline, so only netpol-hygiene itself (or an
 * admin) may put it on a policy: otherwise a developer's allow-all policy would borrow the
 * baseline's protection. A managed policy that the namespace's profile defines may be deleted
 * or changed only by the webhook itself, an admin group, or the namespace controller cleaning
 * up a terminating namespace. Metadata-only edits (annotations, other labels) are allowed:
 * they do not weaken the policy.
 */
export const npGuard: RegisteredRule = {
  id: 'NP-GUARD',
  webhook: 'validate',
  kinds: [networkPolicyKind],
  operations: ['CREATE', 'UPDATE', 'DELETE'],
  subresources: [''],
  check: guard,
};

function guard(request: AdmissionRequest, context: RuleContext): RuleResult {
  const { config } = context;
  if (request.userInfo.username === webhookServiceAccountUser(config) || isAdmin(request, config)) return noViolations;
  if (claimsManagedLabel(request)) return violating([claimViolation(request, context)]);
  if (!weakensManagedPolicy(request)) return noViolations;
  const violation = baselineViolation(request, context);
  return violation === undefined ? noViolations : violating([violation]);
}

/** A CREATE with the label, or an UPDATE that adds it. */
function claimsManagedLabel(request: AdmissionRequest): boolean {
  if (request.operation === 'CREATE') return isManaged(request.object);
  return request.operation === 'UPDATE' && isManaged(request.object) && !isManaged(request.oldObject);
}

/** A DELETE of a managed policy, or an UPDATE that changes its spec or drops its label. */
function weakensManagedPolicy(request: AdmissionRequest): boolean {
  if (request.operation === 'CREATE' || !isManaged(request.oldObject)) return false;
  return request.operation === 'DELETE' || !isManaged(request.object) || !isDeepStrictEqual(request.oldObject?.spec, request.object?.spec);
}

function claimViolation(request: AdmissionRequest, { config }: RuleContext): Violation {
  const action = request.operation === 'CREATE' ? 'create a policy with it' : 'add it';
  return {
    rule: 'NP-GUARD',
    reason:
      `${describeObject('NetworkPolicy', request.object, request)} in namespace "${request.namespace ?? ''}" carries label ${labels.managedBy}=${managerName}, ` +
      'which marks the netpol-hygiene baseline and is set only by netpol-hygiene itself',
    detail: `user "${userOf(request)}" may not ${action}`,
    fix: `remove the label, or ask a member of ${config.adminGroups.join(', ')}`,
  };
}

function baselineViolation(request: AdmissionRequest, { config, cluster }: RuleContext): Violation | undefined {
  const namespaceName = request.namespace ?? '';
  const namespace = cluster.namespace(namespaceName);
  // Gone or going: the namespace controller is deleting everything in it.
  if (namespace === undefined || namespace.terminating) return undefined;
  const policyName = request.oldObject?.metadata?.name ?? request.name ?? '';
  const { name: profile, profile: definition } = profileFor(namespace.labels, config);
  // Only what the profile defines is the baseline; a labelled policy it does not define was
  // never created by netpol-hygiene (the reconciler deletes those) and is not defended.
  if (!renderBaseline(namespaceName, definition, config).some((policy) => policy.metadata?.name === policyName)) return undefined;
  return {
    rule: 'NP-GUARD',
    reason: `NetworkPolicy "${policyName}" in namespace "${namespaceName}" is part of the netpol-hygiene baseline (profile "${profile}")`,
    detail: `user "${userOf(request)}" may not ${request.operation === 'DELETE' ? 'delete' : 'change'} it`,
    fix: `change the profile in the netpol-hygiene config, or ask a member of ${config.adminGroups.join(', ')}`,
  };
}

function userOf(request: AdmissionRequest): string {
  return request.userInfo.username ?? '(unknown)';
}
