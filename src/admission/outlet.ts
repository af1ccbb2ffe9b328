import type { AdmissionRequest } from '../kube/admission-review.ts';
import type { AdmissionOutcome } from '../audit/admission-record.ts';
import { formatViolation } from '../kube/violation.ts';
import { type ModeResolution, routingMode } from '../policy/mode.ts';
import type { Evaluation } from '../policy/rules/registry.ts';
import { diffPatch } from './patch.ts';
import { allowed, denied, patched, withAuditAnnotations, withWarnings } from './responses.ts';

/**
 * Modes are outlets for the same result: enforce denies (403), warn allows with `warnings`,
 * audit allows with `auditAnnotations`. A result without violations is allowed, patched when
 * a mutating rule changed the object.
 */
export function outlet(request: AdmissionRequest, evaluation: Evaluation, resolution: ModeResolution): AdmissionOutcome {
  const patch = request.object ? diffPatch(request.object, evaluation.mutated) : [];
  const rules = [...new Set([...(patch.length > 0 ? evaluation.mutatedBy : []), ...evaluation.violations.map((v) => v.rule)])];
  const reasons = evaluation.reasons.length > 0 ? evaluation.reasons : undefined;
  const base = patched(allowed(request.uid), patch);
  const common = { rules, reasons, patch: patch.length > 0 ? patch : undefined };
  const mode = routingMode(resolution, evaluation.violations.length > 0);
  if (evaluation.violations.length === 0) return { ...common, response: base, decision: patch.length > 0 ? 'patched' : 'allowed', mode };
  const messages = evaluation.violations.map(formatViolation);
  const message = messages.join('; ');
  const annotations = { rules: rules.join(','), message };
  if (mode === 'enforce') return { ...common, patch: undefined, response: denied(request.uid, message), decision: 'denied', mode, message };
  if (mode === 'warn') return { ...common, response: withAuditAnnotations(withWarnings(base, messages), annotations), decision: 'warned', mode, message };
  return { ...common, response: withAuditAnnotations(base, annotations), decision: 'allowed', mode, message };
}
