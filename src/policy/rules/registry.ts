import type { AdmissionRequest } from '../../kube/admission-review.ts';
import type { RuleId } from '../../kube/vocabulary.ts';
import type { Intent, RuleContext, RuleResult } from '../decision.ts';
import { npCeiling } from './np-ceiling.ts';
import { npGuard } from './np-guard.ts';
import { nsDefaultDeny, nsDefaultDenyInjection } from './ns-default-deny.ts';
import { nsLabels, nsLabelsThroughSubresources } from './ns-labels.ts';
import { podProtected } from './pod-protected.ts';
import { podTier, podTierInjection, podTierThroughEphemeralContainers, podTierThroughStatus } from './pod-tier.ts';
import type { RegisteredRule, Webhook } from './registration.ts';

/**
 * Every rule, in the order their messages are joined: the user reads every reason at once,
 * the object's own rules before what its namespace lacks (POD-TIER, then POD-PROTECTED).
 */
export const registeredRules: readonly RegisteredRule[] = [
  nsDefaultDenyInjection,
  podTierInjection,
  nsDefaultDeny,
  nsLabels,
  nsLabelsThroughSubresources,
  podTier,
  podTierThroughStatus,
  podTierThroughEphemeralContainers,
  podProtected,
  npGuard,
  npCeiling,
];

/** The rules registered for this request on this webhook: its kind, operation and subresource. */
export function rulesFor(webhook: Webhook, request: AdmissionRequest, rules: readonly RegisteredRule[] = registeredRules): RegisteredRule[] {
  const subresource = request.subResource ?? '';
  return rules.filter(
    (rule) =>
      rule.webhook === webhook &&
      rule.operations.includes(request.operation) &&
      rule.subresources.includes(subresource) &&
      rule.kinds.some((kind) => kind.group === request.kind.group && kind.kind === request.kind.kind),
  );
}

/** What the rules concluded together, and which of them changed the object. */
export interface Evaluation extends RuleResult {
  readonly mutatedBy: readonly RuleId[];
}

/**
 * Runs each rule in order and gathers what they found. A mutating rule sees the object as the
 * rules before it left it, as the API server's reinvocation would show it.
 */
export function evaluate(rules: readonly RegisteredRule[], request: AdmissionRequest, context: RuleContext): Evaluation {
  let evaluation: Evaluation = { violations: [], reasons: [], mutatedBy: [] };
  for (const rule of rules) {
    const current = evaluation.mutated === undefined ? request : { ...request, object: evaluation.mutated };
    evaluation = merged(evaluation, rule.id, rule.check(current, context));
  }
  return evaluation;
}

function merged(so: Evaluation, id: RuleId, result: RuleResult): Evaluation {
  const intents: readonly Intent[] = [...(so.intents ?? []), ...(result.intents ?? [])];
  return {
    violations: [...so.violations, ...result.violations],
    reasons: [...so.reasons, ...result.reasons],
    mutated: result.mutated ?? so.mutated,
    mutatedBy: result.mutated === undefined ? so.mutatedBy : [...so.mutatedBy, id],
    ...(intents.length === 0 ? {} : { intents }),
  };
}
