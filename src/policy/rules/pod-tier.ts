import type { AdmissionRequest, KubeObject } from '../../kube/admission-review.ts';
import type { Config } from '../../config/types.ts';
import { annotations } from '../../kube/vocabulary.ts';
import type { Violation } from '../../kube/violation.ts';
import { type RuleContext, type RuleResult, describeObject, noViolations, violating } from '../decision.ts';
import { subresourceLabelViolations } from '../subresource-labels.ts';
import { entitlementViolation, podIdentity } from '../tier-entitlement.ts';
import { type TierInference, inferTier } from '../tier-inference.ts';
import { type RegisteredRule, podKind } from './registration.ts';

/** POD-TIER's mutating half: inject the inferred tier label and record its source (none for a pod's own label). */
export const podTierInjection: RegisteredRule = {
  id: 'POD-TIER',
  webhook: 'mutate',
  kinds: [podKind],
  operations: ['CREATE'],
  subresources: [''],
  check: injectTier,
};

/** POD-TIER: a pod is admitted with a valid tier it is entitled to, and keeps one (and its entitlement, when its images change). */
export const podTier: RegisteredRule = {
  id: 'POD-TIER',
  webhook: 'validate',
  kinds: [podKind],
  operations: ['CREATE', 'UPDATE'],
  subresources: [''],
  check: checkTier,
};

/**
 * POD-TIER through pods/ephemeralcontainers (`kubectl debug`): an image-based entitlement
 * holds for every container the pod runs, so a debug container must be entitled too.
 */
export const podTierThroughEphemeralContainers: RegisteredRule = {
  id: 'POD-TIER',
  webhook: 'validate',
  kinds: [podKind],
  operations: ['UPDATE'],
  subresources: ['ephemeralcontainers'],
  check: (request, { config }) => {
    const violation = request.object ? entitlementViolation(request.object, request, config) : undefined;
    return violation === undefined ? noViolations : violating([violation]);
  },
};

/** POD-TIER through pods/status: the tier label does not change there, for anyone. */
export const podTierThroughStatus: RegisteredRule = {
  id: 'POD-TIER',
  webhook: 'validate',
  kinds: [podKind],
  operations: ['CREATE', 'UPDATE'],
  subresources: ['status'],
  check: (request, { config }) => violating(subresourceLabelViolations(request, (key) => key === config.tierLabel.key, 'POD-TIER')),
};

function injectTier(request: AdmissionRequest, context: RuleContext): RuleResult {
  const pod = request.object;
  if (!pod) return noViolations;
  const inference = podTierOf(pod, request, context);
  if (inference.kind !== 'found') return noViolations;
  if (inference.source === 'label') return ownLabel(pod, inference.tier, request, context);
  const key = context.config.tierLabel.key;
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

/**
 * The pod names its own tier: nothing to inject, and no tier-source annotation either. The
 * label is its own record and the audit record keeps the source (`reasons`), so the pod is
 * admitted unpatched: a patch would cost kube-apiserver a decode, apply and re-validation on
 * every such pod (docs/performance-apiserver.md). The annotation thus means "the webhook
 * injected this tier, from here"; one the pod brings from elsewhere (copied from a pod whose
 * tier was injected) would misstate that and is removed, unless it is ours from the first pass.
 */
function ownLabel(pod: KubeObject, tier: string, request: AdmissionRequest, context: RuleContext): RuleResult {
  const reasons = [`${context.config.tierLabel.key}=${tier} from label`];
  const { [annotations.tierSource]: recorded, ...otherAnnotations } = pod.metadata?.annotations ?? {};
  if (recorded === undefined) return { violations: [], reasons };
  if (recordedSourceStillHolds(pod, tier, request, context)) return noViolations;
  return { violations: [], mutated: { ...pod, metadata: { ...pod.metadata, annotations: otherAnnotations } }, reasons };
}

/**
 * On reinvocation (reinvocationPolicy: IfNeeded) the label we injected comes back as the
 * pod's own. The source recorded the first time still holds when it is `label`, or when the
 * other sources, asked without that label, give the same tier from it; a stale annotation
 * copied from another pod does not.
 */
function recordedSourceStillHolds(pod: KubeObject, tier: string, request: AdmissionRequest, context: RuleContext): boolean {
  const recorded = pod.metadata?.annotations?.[annotations.tierSource];
  if (recorded === 'label') return true;
  if (recorded === undefined) return false;
  const { [context.config.tierLabel.key]: _label, ...otherLabels } = pod.metadata?.labels ?? {};
  const without = podTierOf({ ...pod, metadata: { ...pod.metadata, labels: otherLabels } }, request, context);
  return without.kind === 'found' && without.tier === tier && without.source === recorded;
}

function checkTier(request: AdmissionRequest, context: RuleContext): RuleResult {
  const pod = request.object;
  if (!pod) return noViolations;
  const violation = request.operation === 'UPDATE' ? tierChangeViolation(pod, request, context.config) : createViolation(pod, request, context);
  return violation === undefined ? noViolations : violating([violation]);
}

/** The mutating webhook has set the label on CREATE; what is left is a tier it could not find, or one the pod may not carry. */
function createViolation(pod: KubeObject, request: AdmissionRequest, context: RuleContext): Violation | undefined {
  return tierViolation(pod, request, context) ?? entitlementViolation(pod, request, context.config);
}

/**
 * Labels stay mutable after admission; invariant 3 says an admitted pod keeps a valid tier.
 * Moving between valid tiers is allowed: creating a pod with that tier would be too.
 */
function tierChangeViolation(pod: KubeObject, request: AdmissionRequest, config: Config): Violation | undefined {
  const { key, values } = config.tierLabel;
  const before = request.oldObject?.metadata?.labels?.[key];
  const after = pod.metadata?.labels?.[key];
  // Images are mutable in place: a pod entitled by its image stays entitled only with it.
  if (after === before) return imagesChanged(pod, request.oldObject) ? entitlementViolation(pod, request, config) : undefined;
  if (after !== undefined && values.includes(after)) return entitlementViolation(pod, request, config, 'label');
  return invalidTierChange(pod, request, config, before);
}

/** The tier label removed, or set to a value that is not a tier. */
function invalidTierChange(pod: KubeObject, request: AdmissionRequest, config: Config, before: string | undefined): Violation {
  const { key, values } = config.tierLabel;
  const after = pod.metadata?.labels?.[key];
  const subject = podSubject(pod, request);
  if (after === undefined) return { rule: 'POD-TIER', reason: `${subject} would lose its "${key}" label (${key}=${before})`, fix: `admitted pods keep one of ${values.join(', ')}` };
  return { rule: 'POD-TIER', reason: `${subject} would get label ${key}=${after}, which is not one of ${values.join(', ')}`, fix: `set label ${key}=<${values.join('|')}>` };
}

function imagesChanged(pod: KubeObject, before: KubeObject | null | undefined): boolean {
  if (!before) return false;
  const images = (object: KubeObject): string => JSON.stringify(podIdentity(object, '').images);
  return images(pod) !== images(before);
}

function podTierOf(pod: KubeObject, request: AdmissionRequest, { config, cluster }: RuleContext): TierInference {
  const namespace = request.namespace ?? '';
  return inferTier(pod, namespace, () => cluster.namespace(namespace)?.labels, config);
}

function podSubject(pod: KubeObject, request: AdmissionRequest): string {
  return `${describeObject('pod', pod, request)} in namespace "${request.namespace ?? ''}"`;
}

function tierViolation(pod: KubeObject, request: AdmissionRequest, context: RuleContext): Violation | undefined {
  const { key, values } = context.config.tierLabel;
  const subject = podSubject(pod, request);
  const inference = podTierOf(pod, request, context);
  if (inference.kind === 'invalid') {
    return { rule: 'POD-TIER', reason: `${subject} has ${invalidSource(inference, key)}, which is not one of ${values.join(', ')}`, fix: `set label ${key}=<${values.join('|')}>` };
  }
  if (inference.kind === 'none') {
    return {
      rule: 'POD-TIER',
      reason: `${subject} has no "${key}" label and no rule matched`,
      fix: `set label ${key}=<${values.join('|')}>, or annotation ${annotations.tier}, or a default tier on the namespace`,
    };
  }
  if (inference.source === 'label') return undefined;
  // The mutating webhook would have set the label: it did not run for this request.
  return {
    rule: 'POD-TIER',
    reason: `${subject} has no "${key}" label although ${inference.source} gives ${key}=${inference.tier}`,
    fix: 'the mutating webhook mutate-pods.netpol-hygiene.io did not run, check its registration',
  };
}

function invalidSource(inference: Extract<TierInference, { kind: 'invalid' }>, key: string): string {
  if (inference.source === 'label') return `label ${key}=${inference.value}`;
  if (inference.source === 'annotation') return `annotation ${annotations.tier}=${inference.value}`;
  return `namespace default tier ${inference.value}`;
}
