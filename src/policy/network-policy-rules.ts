import type { AdmissionRequest } from '../kube/admission-review.ts';
import type { Decision, RuleContext } from './decision.ts';
import { checkNetworkPolicyCeiling } from './network-policy-ceiling.ts';
import { guardNetworkPolicy } from './network-policy-guard.ts';

/** NetworkPolicy (validating): NP-GUARD, then NP-CEILING; the user reads every reason at once. */
export function validateNetworkPolicy(request: AdmissionRequest, context: RuleContext): Decision {
  const guard = guardNetworkPolicy(request, context);
  const ceiling = checkNetworkPolicyCeiling(request, context);
  return { violations: [...guard.violations, ...ceiling.violations], reasons: [...guard.reasons, ...ceiling.reasons] };
}
