import type { AdmissionRequest } from '../../kube/admission-review.ts';
import { profileFor } from '../../config/profiles.ts';
import { type RuleContext, type RuleResult, describeObject, noViolations } from '../decision.ts';
import { defaultDenyCoverage, missingDirections } from '../default-deny.ts';
import { type RegisteredRule, podKind } from './registration.ts';

/**
 * POD-PROTECTED: no pod is admitted into a namespace without an effective default-deny in both
 * directions (invariant 1). The rule asks for the baseline to be applied; the handler tries,
 * then asks again, so a pod created right after its namespace never races the reconciler.
 */
export const podProtected: RegisteredRule = {
  id: 'POD-PROTECTED',
  webhook: 'validate',
  kinds: [podKind],
  operations: ['CREATE'],
  subresources: [''],
  check: checkProtected,
};

function checkProtected(request: AdmissionRequest, { config, cluster }: RuleContext): RuleResult {
  const pod = request.object;
  if (!pod) return noViolations;
  const namespace = request.namespace ?? '';
  const missing = missingDirections(defaultDenyCoverage(cluster.networkPolicies(namespace)));
  if (missing.length === 0) return noViolations;
  const profile = profileFor(cluster.namespace(namespace)?.labels, config).name;
  const violation = {
    rule: 'POD-PROTECTED',
    reason: `namespace "${namespace}" has no effective default-deny NetworkPolicy for ${missing.join(' and ')}, so ${describeObject('pod', pod, request)} would run unprotected`,
    fix: `apply the baseline: netpol-hygiene render --namespace ${namespace} --profile ${profile} | kubectl apply -f -`,
  } as const;
  return { violations: [violation], reasons: [], intents: [{ kind: 'apply-baseline', namespace, rule: 'POD-PROTECTED' }] };
}
