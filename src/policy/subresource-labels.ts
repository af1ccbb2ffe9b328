import type { AdmissionRequest } from '../kube/admission-review.ts';
import type { Violation } from '../kube/violation.ts';
import { describeObject } from './decision.ts';
import type { RuleId } from '../kube/vocabulary.ts';

/**
 * Status and finalize updates carry the whole object, and the API server keeps the labels
 * they send (namespaces/status, namespaces/finalize, pods/status reset only spec or status).
 * Controllers widely hold rights on the status subresources, so a governed label changed
 * through a subresource is refused for everyone: labels change through the object itself,
 * where the rules judge who may change them.
 */
export function subresourceLabelViolations(request: AdmissionRequest, governed: (key: string) => boolean, rule: RuleId): Violation[] {
  const before = request.oldObject?.metadata?.labels ?? {};
  const after = request.object?.metadata?.labels ?? {};
  const changed = changedLabelKeys(before, after).filter(governed);
  if (changed.length === 0) return [];
  const kind = request.kind.kind.toLowerCase();
  const changes = changed.map((key) => `${key} (${before[key] ?? 'unset'} → ${after[key] ?? 'unset'})`).join(', ');
  return [
    {
      rule,
      reason: `${request.resource.resource}/${request.subResource ?? ''} may not change label ${changes} on ${subjectOf(kind, request)}`,
      fix: `labels change only through the ${kind} itself`,
    },
  ];
}

/** The label keys whose value differs (added, removed or changed), sorted. */
export function changedLabelKeys(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => before[key] !== after[key]).sort();
}

function subjectOf(kind: string, request: AdmissionRequest): string {
  const object = describeObject(kind, request.object, request);
  return kind === 'namespace' ? object : `${object} in namespace "${request.namespace ?? ''}"`;
}
