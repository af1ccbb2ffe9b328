import type { AdmissionAuditRecord } from '../audit/audit-log.ts';

/**
 * Label values come from bounded sets only: a series per distinct value lives for the
 * process's lifetime, so anything a client controls (names, namespaces, users, a hostile
 * review's `kind`) would let one caller grow the webhook's memory without limit.
 */
const kinds = new Set(['Namespace', 'Pod', 'NetworkPolicy']);
const operations = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export interface AdmissionLabels {
  readonly webhook: string;
  readonly kind: string;
  readonly operation: string;
  readonly decision: string;
  /** The rules behind the decision, comma-joined (`none` when no rule spoke), so one request is one increment. */
  readonly rule: string;
  readonly mode: string;
}

export function admissionLabels(record: AdmissionAuditRecord): AdmissionLabels {
  return {
    webhook: record.webhook,
    kind: kinds.has(record.kind) ? record.kind : 'other',
    operation: operations.has(record.operation) ? record.operation : 'other',
    decision: record.decision,
    rule: record.rules.length === 0 ? 'none' : record.rules.join(','),
    mode: record.mode,
  };
}

/**
 * Why a repair happened, from the trigger the reconciler or the pod-admission self-heal
 * recorded. Triggers carry names (`managed policy "allow-dns" was deleted`, `pod admission
 * <uid>`), so they are classified, never used as label values.
 */
const repairReasons: readonly (readonly [RegExp, string])[] = [
  [/^pod admission /, 'pod-admission'],
  [/^namespace created/, 'namespace-created'],
  [/^namespace labels changed/, 'namespace-labels-changed'],
  [/^managed policy .* was deleted/, 'policy-deleted'],
  [/^managed policy .* was changed/, 'policy-changed'],
  [/^periodic resync/, 'periodic-resync'],
  [/relisted/, 'relist'],
  [/backfill/, 'backfill'],
];

export function repairReason(trigger: string): string {
  for (const [pattern, reason] of repairReasons) if (pattern.test(trigger)) return reason;
  return 'other';
}
