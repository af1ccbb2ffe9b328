import type { AuditSink } from '../audit/audit-log.ts';
import { type AdmissionOutcome, admissionRecord } from '../audit/admission-record.ts';
import { ClusterStateUnavailableError } from '../policy/decision.ts';
import { exemptionReason } from '../policy/exemptions.ts';
import { resolveMode } from '../policy/mode.ts';
import { evaluate, rulesFor } from '../policy/rules/registry.ts';
import type { Webhook } from '../policy/rules/registration.ts';
import { outlet } from './outlet.ts';
import { allowed, badRequest, errored, withAuditAnnotations } from './responses.ts';
import { incompleteness } from './request-completeness.ts';
import { type SelfHealDeps, carryOutIntents } from './self-heal.ts';
import type { AdmissionRequest, AdmissionResponse } from '../kube/admission-review.ts';

export type WebhookPath = Webhook;

export interface AdmissionDeps extends SelfHealDeps {
  readonly audit: AuditSink;
}

type Outcome = AdmissionOutcome;

/**
 * handle(request) → response, for both webhooks. Incomplete reviews are refused, then
 * exemptions, then the rules registered for the request, their intents carried out, then the
 * mode picks the outlet (deny / warn / audit). Never throws: a failure to decide is a
 * fail-closed 500 response. Writes exactly one audit record; if it cannot be written, the
 * request is refused too (nothing happens silently).
 */
export async function handleAdmission(webhook: WebhookPath, request: AdmissionRequest, deps: AdmissionDeps): Promise<AdmissionResponse> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    const decided = decide(webhook, request, deps);
    outcome = decided instanceof Promise ? await decided : decided;
  } catch (error) {
    const message =
      error instanceof ClusterStateUnavailableError
        ? `netpol-hygiene: ${error.message}`
        : `netpol-hygiene: internal error while deciding, refused to stay safe: ${(error as Error).message}`;
    outcome = failed(errored(request.uid, message), deps);
  }
  return record({ webhook, request, outcome, latencyMs: performance.now() - started }, deps);
}

interface Decided {
  readonly webhook: WebhookPath;
  readonly request: AdmissionRequest;
  readonly outcome: Outcome;
  readonly latencyMs: number;
}

function record({ webhook, request, outcome, latencyMs }: Decided, deps: AdmissionDeps): AdmissionResponse {
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

/** Synchronous unless a rule asked for something to be carried out (self-heal): most requests never wait on a promise. */
function decide(webhook: WebhookPath, request: AdmissionRequest, deps: AdmissionDeps): Outcome | Promise<Outcome> {
  const { context } = deps;
  const missing = incompleteness(request);
  if (missing !== undefined) {
    return failed(badRequest(request.uid, `netpol-hygiene: the AdmissionReview is incomplete, refused to stay safe: ${missing}`), deps);
  }
  const exempt = exemptionReason(request, context.config);
  if (exempt !== undefined) {
    return { response: withAuditAnnotations(allowed(request.uid), { exempt }), decision: 'exempt', mode: context.config.mode, rules: [], message: exempt };
  }
  const rules = rulesFor(webhook, request);
  if (rules.length === 0) return { response: allowed(request.uid), decision: 'allowed', mode: context.config.mode, rules: [] };
  const mode = resolveMode(request, context);
  const first = evaluate(rules, request, context);
  if (first.intents === undefined) return outlet(request, first, mode);
  return carryOutIntents(request, rules, first, deps).then((evaluation) => outlet(request, evaluation, mode));
}
