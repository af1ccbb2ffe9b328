import type { AdmissionRequest, KubeObject } from '../kube/admission-review.ts';
import { type Decision, type RuleContext, type Violation, describeObject, noViolations } from './decision.ts';
import { profileFor } from '../config/profiles.ts';
import { defaultDenyCoverage, missingDirections } from './default-deny.ts';
import { type TierInference, inferTier } from './tier-inference.ts';
import { subresourceLabelViolations } from './subresource-labels.ts';
import { entitlementDecision, entitlementProblem } from './tier-entitlement.ts';
import { annotations } from '../kube/vocabulary.ts';

/** Pod CREATE (mutating), POD-TIER: inject the inferred tier label and record its source. */
export function mutatePod(request: AdmissionRequest, context: RuleContext): Decision {
  const pod = request.object;
  if (request.operation !== 'CREATE' || !pod) return noViolations;
  const inference = podTier(pod, request, context);
  if (inference.kind !== 'found') return noViolations;
  const key = context.config.tierLabel.key;
  const recorded = pod.metadata?.annotations?.[annotations.tierSource];
  if (inference.source === 'label' && (recorded === 'label' || recordedSourceStillHolds(pod, recorded, inference.tier, request, context))) return noViolations;
  // Copy-on-write: only labels and annotations are new objects (see diffPatch).
  const metadata = pod.metadata ?? {};
  const mutated: KubeObject = {
    ...pod,
    metadata: {
      ...metadata,
      labels: { ...metadata.labels, [key]: inference.tier },
      annotations: { ...metadata.annotations, [annotations.tierSource]: inference.source },
    },
  };
  return { violations: [], mutated, reasons: [`${key}=${inference.tier} from ${inference.source}`] };
}

/** Pod CREATE (validating): POD-TIER, then POD-PROTECTED; Pod UPDATE: POD-TIER on a changed tier label; pods/status: POD-TIER on any tier change. */
export function validatePod(request: AdmissionRequest, context: RuleContext): Decision {
  const pod = request.object;
  if (request.subResource) return { violations: subresourceLabelViolations(request, (key) => key === context.config.tierLabel.key, 'POD-TIER'), reasons: [] };
  if (request.operation === 'UPDATE' && pod) return validateTierChange(pod, request, context);
  if (request.operation !== 'CREATE' || !pod) return noViolations;
  const namespace = request.namespace ?? '';
  const violations: Violation[] = [];
  const tierProblem = tierViolation(pod, request, context) ?? entitlementProblem(pod, request, context.config);
  if (tierProblem !== undefined) violations.push({ rule: 'POD-TIER', message: tierProblem });
  const missing = missingDirections(defaultDenyCoverage(context.cluster.networkPolicies(namespace)));
  if (missing.length === 0) return { violations, reasons: [] };
  violations.push({
    rule: 'POD-PROTECTED',
    message:
      `POD-PROTECTED: namespace "${namespace}" has no effective default-deny NetworkPolicy for ${missing.join(' and ')}, ` +
      `so ${describeObject('pod', pod, request)} would run unprotected; apply the baseline: ` +
      `netpol-hygiene render --namespace ${namespace} --profile ${profileFor(context.cluster.namespace(namespace)?.labels, context.config).name} | kubectl apply -f -`,
  });
  return { violations, reasons: [], baselineNeeded: namespace };
}

/**
 * On reinvocation (reinvocationPolicy: IfNeeded) the label we injected comes back as the
 * pod's own. The source recorded the first time still holds when the other sources, asked
 * without that label, give the same tier from it; a stale annotation copied from another
 * pod does not.
 */
function recordedSourceStillHolds(pod: KubeObject, recorded: string | undefined, tier: string, request: AdmissionRequest, context: RuleContext): boolean {
  if (recorded === undefined) return false;
  const { [context.config.tierLabel.key]: _label, ...otherLabels } = pod.metadata?.labels ?? {};
  const without = podTier({ ...pod, metadata: { ...pod.metadata, labels: otherLabels } }, request, context);
  return without.kind === 'found' && without.tier === tier && without.source === recorded;
}

/**
 * Labels stay mutable after admission; invariant 3 says an admitted pod keeps a valid tier.
 * Moving between valid tiers is allowed: creating a pod with that tier would be too.
 */
function validateTierChange(pod: KubeObject, request: AdmissionRequest, context: RuleContext): Decision {
  const { key, values } = context.config.tierLabel;
  const before = request.oldObject?.metadata?.labels?.[key];
  const after = pod.metadata?.labels?.[key];
  if (after === before) return noViolations;
  if (after !== undefined && values.includes(after)) return entitlementDecision(pod, request, context.config);
  const subject = `${describeObject('pod', pod, request)} in namespace "${request.namespace ?? ''}"`;
  const message =
    after === undefined
      ? `POD-TIER: ${subject} would lose its "${key}" label (${key}=${before}); admitted pods keep one of ${values.join(', ')}`
      : `POD-TIER: ${subject} would get label ${key}=${after}, which is not one of ${values.join(', ')}; set label ${key}=<${values.join('|')}>`;
  return { violations: [{ rule: 'POD-TIER', message }], reasons: [] };
}

function podTier(pod: KubeObject, request: AdmissionRequest, { config, cluster }: RuleContext): TierInference {
  const namespace = request.namespace ?? '';
  return inferTier(pod, namespace, () => cluster.namespace(namespace)?.labels, config);
}

function tierViolation(pod: KubeObject, request: AdmissionRequest, context: RuleContext): string | undefined {
  const { key, values } = context.config.tierLabel;
  const subject = `${describeObject('pod', pod, request)} in namespace "${request.namespace ?? ''}"`;
  const choices = `<${values.join('|')}>`;
  const inference = podTier(pod, request, context);
  if (inference.kind === 'invalid') {
    const where = inference.source === 'label' ? `label ${key}=${inference.value}`
      : inference.source === 'annotation' ? `annotation ${annotations.tier}=${inference.value}`
      : `namespace default tier ${inference.value}`;
    return `POD-TIER: ${subject} has ${where}, which is not one of ${values.join(', ')}; set label ${key}=${choices}`;
  }
  if (inference.kind === 'none') {
    return `POD-TIER: ${subject} has no "${key}" label and no rule matched; set label ${key}=${choices}, or annotation ${annotations.tier}, or a default tier on the namespace`;
  }
  if (inference.source !== 'label') {
    // The mutating webhook would have set the label: it did not run for this request.
    return `POD-TIER: ${subject} has no "${key}" label although ${inference.source} gives ${key}=${inference.tier}; the mutating webhook mutate-pods.netpol-hygiene.io did not run, check its registration`;
  }
  return undefined;
}
