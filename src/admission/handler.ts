import type { NetworkPolicy } from '../kube/network-policy.ts';
import type { AuditSink } from '../audit/audit-log.ts';
import { type AdmissionOutcome, admissionRecord } from '../audit/admission-record.ts';
import type { Mode } from '../config/types.ts';
import { type ClusterState, ClusterStateUnavailableError, type Decision, type Rule, type RuleContext } from '../policy/decision.ts';
import { exemptionReason } from '../policy/exemptions.ts';
import { modeFor } from '../policy/mode.ts';
import { validateNetworkPolicy } from '../policy/network-policy-rules.ts';
import { mutateNamespace, validateNamespace } from '../policy/namespace-rules.ts';
import { mutatePod, validatePod } from '../policy/pod-rules.ts';
import type { RuleId } from '../kube/vocabulary.ts';
import { diffPatch } from './patch.ts';
import { allowed, badRequest, denied, errored, patched, withAuditAnnotations, withWarnings } from './responses.ts';
import { incompleteness } from './request-completeness.ts';
import type { AdmissionRequest, AdmissionResponse } from '../kube/admission-review.ts';
import type { BaselineConverger, Convergence } from '../policy/baseline-convergence.ts';

export type WebhookPath = 'mutate' | 'validate';

export interface AdmissionDeps {
  readonly context: RuleContext;
  readonly audit: AuditSink;
  /** Absent when the webhook runs without write access: POD-PROTECTED then only reports. */
  readonly baseline?: BaselineConverger;
  /**
   * How long self-heal may take before the pod is refused with the reason. Below the
   * webhook's timeoutSeconds (5 s), so the user reads our message, not "context deadline
   * exceeded".
   */
  readonly selfHealTimeoutMs?: number;
}

const defaultSelfHealTimeoutMs = 3000;

interface RuleEntry {
  /** The rule a mutation serves, for the audit record. */
  readonly mutationRule: RuleId;
  readonly run: Rule;
}

const rulesByWebhook: Record<WebhookPath, Record<string, RuleEntry>> = {
  mutate: {
    '/Namespace': { mutationRule: 'NS-DEFAULT-DENY', run: mutateNamespace },
    '/Pod': { mutationRule: 'POD-TIER', run: mutatePod },
  },
  validate: {
    '/Namespace': { mutationRule: 'NS-DEFAULT-DENY', run: validateNamespace },
    '/Pod': { mutationRule: 'POD-TIER', run: validatePod },
    'networking.k8s.io/NetworkPolicy': { mutationRule: 'NP-GUARD', run: validateNetworkPolicy },
  },
};

type Outcome = AdmissionOutcome;

/**
 * handle(request) → response, for both webhooks. Incomplete reviews are refused, then
 * exemptions, then the kind's rule, then the mode picks the outlet (deny / warn / audit).
 * Never throws: a failure to decide is a fail-closed 500 response. Writes exactly one audit
 * record; if it cannot be written, the request is refused too (nothing happens silently).
 */
export async function handleAdmission(webhook: WebhookPath, request: AdmissionRequest, deps: AdmissionDeps): Promise<AdmissionResponse> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = await decide(webhook, request, deps);
  } catch (error) {
    const message =
      error instanceof ClusterStateUnavailableError
        ? `netpol-hygiene: ${error.message}`
        : `netpol-hygiene: internal error while deciding, refused to stay safe: ${(error as Error).message}`;
    outcome = failed(errored(request.uid, message), deps);
  }
  return record(webhook, request, outcome, performance.now() - started, deps);
}

function record(webhook: WebhookPath, request: AdmissionRequest, outcome: Outcome, latencyMs: number, deps: AdmissionDeps): AdmissionResponse {
  try {
    deps.audit.write(admissionRecord(webhook, request, outcome, latencyMs));
    return outcome.response;
  } catch (error) {
    const response = errored(request.uid, `netpol-hygiene: the audit record could not be written, refused to stay safe: ${(error as Error).message}`);
    try {
      deps.audit.write(admissionRecord(webhook, request, failed(response, deps), latencyMs));
    } catch {
      // The sink itself is failing: the refusal is all that can still be done.
    }
    return response;
  }
}

function failed(response: AdmissionResponse, deps: AdmissionDeps): Outcome {
  return { response, decision: 'denied', mode: deps.context.config.mode, rules: [], message: response.status?.message };
}

async function decide(webhook: WebhookPath, request: AdmissionRequest, deps: AdmissionDeps): Promise<Outcome> {
  const { context } = deps;
  const missing = incompleteness(request);
  if (missing !== undefined) {
    return failed(badRequest(request.uid, `netpol-hygiene: the AdmissionReview is incomplete, refused to stay safe: ${missing}`), deps);
  }
  const exempt = exemptionReason(request, context.config);
  if (exempt !== undefined) {
    return { response: withAuditAnnotations(allowed(request.uid), { exempt }), decision: 'exempt', mode: context.config.mode, rules: [], message: exempt };
  }
  const entry = rulesByWebhook[webhook][`${request.kind.group}/${request.kind.kind}`];
  if (entry === undefined) return { response: allowed(request.uid), decision: 'allowed', mode: context.config.mode, rules: [] };
  let decision = entry.run(request, context);
  if (decision.baselineNeeded !== undefined && deps.baseline !== undefined) {
    decision = await decideAfterBaseline(request, decision, entry.run, deps);
  }
  return outlet(request, decision, entry.mutationRule, context);
}

/**
 * POD-PROTECTED self-heal: apply the namespace's baseline synchronously, then decide again
 * against the policies as applied, so a pod created right after its namespace never races
 * the reconciler. On dry run the baseline is rendered but not applied (no side effects),
 * which gives the same answer the real request would get.
 */
async function decideAfterBaseline(request: AdmissionRequest, first: Decision, rule: Rule, deps: AdmissionDeps): Promise<Decision> {
  const namespace = first.baselineNeeded as string;
  const dryRun = request.dryRun === true;
  let result: Convergence;
  try {
    result = await withTimeout(
      (deps.baseline as BaselineConverger).converge(namespace, { dryRun, trigger: `pod admission ${request.uid}` }),
      deps.selfHealTimeoutMs ?? defaultSelfHealTimeoutMs,
    );
  } catch (error) {
    const suffix = ` (applying the baseline failed: ${(error as Error).message})`;
    return { ...first, violations: first.violations.map((v) => (v.rule === 'POD-PROTECTED' ? { ...v, message: v.message + suffix } : v)) };
  }
  const second = rule(request, { ...deps.context, cluster: withPolicies(deps.context.cluster, namespace, result.policies) });
  const verb = dryRun ? 'would apply (dry run)' : 'applied';
  const reason =
    result.changed.length > 0
      ? `${verb} the baseline to namespace "${namespace}": ${result.changed.join(', ')}`
      : `the baseline of namespace "${namespace}" was already in place (applied concurrently)`;
  return { ...second, baselineNeeded: undefined, reasons: [...second.reasons, reason] };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the API server did not confirm it within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function withPolicies(cluster: ClusterState, namespace: string, applied: readonly NetworkPolicy[]): ClusterState {
  return {
    namespace: (name) => cluster.namespace(name),
    networkPolicies: (name) => {
      const existing = cluster.networkPolicies(name);
      if (name !== namespace) return existing;
      const appliedNames = new Set(applied.map((p) => p.metadata?.name));
      return [...existing.filter((p) => !appliedNames.has(p.metadata?.name)), ...applied];
    },
  };
}

function outlet(request: AdmissionRequest, decision: Decision, mutationRule: RuleId, context: RuleContext): Outcome {
  const patch = request.object ? diffPatch(request.object, decision.mutated) : [];
  const changeRules: RuleId[] = patch.length > 0 ? [mutationRule] : [];
  const rules = [...new Set([...changeRules, ...decision.violations.map((v) => v.rule)])];
  const reasons = decision.reasons.length > 0 ? decision.reasons : undefined;
  const base = patched(allowed(request.uid), patch);
  const common = { rules, reasons, patch: patch.length > 0 ? patch : undefined };
  if (decision.violations.length === 0) {
    return { ...common, response: base, decision: patch.length > 0 ? 'patched' : 'allowed', mode: safeMode(request, context) };
  }
  const mode = modeFor(request, context);
  const message = decision.violations.map((v) => v.message).join('; ');
  const annotations = { rules: rules.join(','), message };
  if (mode === 'enforce') return { ...common, patch: undefined, response: denied(request.uid, message), decision: 'denied', mode, message };
  if (mode === 'warn') {
    const response = withAuditAnnotations(withWarnings(base, decision.violations.map((v) => v.message)), annotations);
    return { ...common, response, decision: 'warned', mode, message };
  }
  return { ...common, response: withAuditAnnotations(base, annotations), decision: 'allowed', mode, message };
}

/** The mode is only informative when nothing was violated; missing cluster state is no reason to fail then. */
function safeMode(request: AdmissionRequest, context: RuleContext): Mode {
  try {
    return modeFor(request, context);
  } catch (error) {
    if (error instanceof ClusterStateUnavailableError) return context.config.mode;
    throw error;
  }
}
