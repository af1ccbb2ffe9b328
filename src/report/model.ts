/**
 * The report's data: the stable shape `report -o json` prints (documented field by field,
 * `version` bumps on any incompatible change). Sections are independent so the cluster
 * posture (`report --cluster`) can join the audit summary as a sibling.
 */
import type { AuditDecision } from '../audit/audit-log.ts';

export const reportVersion = 1;

export const decisions: readonly AuditDecision[] = ['allowed', 'patched', 'warned', 'denied', 'exempt'];

/** Admission records per decision. */
export type DecisionCounts = Record<AuditDecision, number>;

export interface Report {
  readonly kind: 'NetpolHygieneReport';
  readonly version: typeof reportVersion;
  /** RFC 3339, when the report was made. */
  readonly generatedAt: string;
  /** From audit logs; absent when the report covers only the cluster. */
  readonly audit?: AuditSummary;
  /** From the live cluster (`--cluster`); absent when the report covers only audit logs. */
  readonly posture?: ClusterPosture;
}

export interface ReportFilters {
  /** RFC 3339; records before it are left out. */
  readonly since?: string;
  /** RFC 3339; records at or after it are left out. */
  readonly until?: string;
  /** Any of these (exact); empty = all. The start-up backfill's summary (namespace `*`) matches none. */
  readonly namespaces: readonly string[];
  /** Admission records naming any of these rules; repairs and above-ceiling reports name none, so a rule filter leaves them out. */
  readonly rules: readonly string[];
  /** Admission records by any of these users (exact); repairs and above-ceiling reports are the webhook's own, so left out. */
  readonly users: readonly string[];
}

export interface InputCounts {
  /** Every line read, across all inputs. */
  readonly lines: number;
  /** Audit records found (before filters). */
  readonly records: number;
  /**
   * Audit records that passed the filters: what the rest of the report counts, except `repair`
   * records that are neither a repair nor an above-ceiling report (the start-up backfill's
   * summary: each namespace it repaired has a record of its own).
   */
  readonly matched: number;
  /** Lines that are not audit records, by why. */
  readonly skipped: SkippedCounts;
}

export interface SkippedCounts {
  /** Empty or whitespace-only lines. */
  readonly blank: number;
  /** JSON lines without `"audit": true`: the operational log sharing stdout. */
  readonly operational: number;
  /** Lines that are not JSON objects (stack traces, truncated lines, other programs). */
  readonly notJson: number;
  /** Marked as audit records but missing a field the report needs (time, event, decision). */
  readonly malformed: number;
}

export interface AuditTotals {
  /** Admission records (one per webhook call: a pod create passes /mutate and /validate). */
  readonly admissions: number;
  readonly decisions: DecisionCounts;
  /** Admission records refused because the webhook could not decide (code 500, fail closed). */
  readonly couldNotDecide: number;
  /** Admission records of dry-run requests (counted in the decisions too). */
  readonly dryRun: number;
  /** Baseline repairs (`action: apply-baseline`): policies created, restored or removed. */
  readonly repairs: number;
  /**
   * Reports of existing policies above their namespace's ceiling (`action: above-ceiling`):
   * found, told, not changed, so not repairs. A policy is reported again when what exceeds the
   * ceiling changes and by each process that takes over the reconciler.
   */
  readonly aboveCeilingReports: number;
}

export interface BreakdownEntry {
  readonly key: string;
  /** Admission records plus baseline repairs counted under this key (not above-ceiling reports). */
  readonly total: number;
  readonly decisions: DecisionCounts;
  readonly repairs: number;
  /**
   * How much `total` may overstate (0 when exact). Non-zero only once more distinct keys
   * were seen than the report keeps; per-decision counts then cover the key's time in the list.
   */
  readonly error: number;
}

export interface Breakdown {
  /** True when more distinct keys were seen than kept: counts are then upper bounds (see `error`). */
  readonly approximate: boolean;
  /** The top entries, most records first, ties by key. */
  readonly entries: readonly BreakdownEntry[];
}

export interface TimelineBucket {
  /** RFC 3339 start of the bucket; it ends where the next begins. */
  readonly start: string;
  readonly decisions: DecisionCounts;
  readonly repairs: number;
}

export interface Timeline {
  readonly bucketSeconds: number;
  /** Contiguous, oldest first; empty when nothing matched. */
  readonly buckets: readonly TimelineBucket[];
}

export interface DenialEntry {
  readonly time: string;
  /** `pod/<name>` from `kubectl logs --prefix`, when the line had one. */
  readonly source?: string;
  readonly namespace?: string;
  readonly kind: string;
  /** `status` or `finalize` when the request came through a subresource. */
  readonly subResource?: string;
  readonly name?: string;
  readonly operation: string;
  readonly user?: string;
  readonly mode: string;
  readonly code: number;
  readonly rules: readonly string[];
  readonly dryRun: boolean;
  readonly message: string;
}

/** A repair, or a report of a policy above the ceiling (`action` tells which), as it was recorded. */
export interface RepairEntry {
  readonly time: string;
  readonly source?: string;
  readonly namespace: string;
  readonly action: string;
  readonly policies: readonly string[];
  readonly trigger: string;
  readonly message: string;
}

export interface LatestList<T> {
  /** How many matched in all. */
  readonly total: number;
  /** The most recent ones, newest first. */
  readonly shown: readonly T[];
  /** total - shown.length: older ones counted but not kept. */
  readonly notShown: number;
}

export interface AuditSummary {
  readonly filters: ReportFilters;
  readonly input: InputCounts;
  /** RFC 3339 times of the first and last matched record; null when none matched. */
  readonly first: string | null;
  readonly last: string | null;
  readonly totals: AuditTotals;
  readonly byRule: Breakdown;
  readonly byNamespace: Breakdown;
  readonly byUser: Breakdown;
  readonly timeline: Timeline;
  readonly denials: LatestList<DenialEntry>;
  readonly repairs: LatestList<RepairEntry>;
  readonly aboveCeilingReports: LatestList<RepairEntry>;
}

/** What every governed namespace holds against its profile, read from the cluster with GET only. */
export interface ClusterPosture {
  /** The API server read. */
  readonly server: string;
  readonly totals: PostureTotals;
  /** Governed namespaces (neither exempt nor being deleted), by name. */
  readonly namespaces: readonly NamespacePosture[];
  /** Exempt by the config (`exemptions.namespaces`, the webhook's own): not judged. */
  readonly exempt: readonly string[];
  /** Being deleted: not judged. */
  readonly terminating: readonly string[];
  /** The cluster's ClusterNetworkPolicies; absent when the API server does not serve them (the CRD is not installed). */
  readonly clusterPolicies?: readonly ClusterPolicyPosture[];
}

/** A ClusterNetworkPolicy, where it sits in evaluation, and the governed namespaces whose pods its subject can select. */
export interface ClusterPolicyPosture {
  readonly name: string;
  readonly tier: string;
  readonly priority: number;
  readonly namespaces: readonly string[];
  /** Why the engine cannot read it (a schema older or newer than v0.3.1's): its answers leave it out. */
  readonly unreadable?: string;
}

export interface PostureTotals {
  /** Governed namespaces. */
  readonly namespaces: number;
  /** Governed namespaces whose baseline is complete. */
  readonly complete: number;
  readonly exempt: number;
  /** Baseline policies absent, edited, or whose name an unmanaged policy holds, over all namespaces. */
  readonly missingPolicies: number;
  readonly editedPolicies: number;
  readonly foreignPolicies: number;
  readonly aboveCeiling: number;
  /** Pods (not finished) without a tier label, with a tier not configured, or not entitled to theirs. */
  readonly podsWithoutValidTier: number;
  readonly pods: number;
  readonly unmanagedPolicies: number;
}

export interface NamespacePosture {
  readonly name: string;
  /** The profile governing it (its label, or the default). */
  readonly profile: string;
  /** `complete`: every baseline policy present, managed and as rendered, and no obsolete one. */
  readonly baseline: 'complete' | 'incomplete';
  /** Baseline policies absent. */
  readonly missing: readonly string[];
  /** Managed baseline policies whose spec differs from what the profile renders. */
  readonly edited: readonly string[];
  /** Baseline names held by policies netpol-hygiene does not manage (left alone by the reconciler). */
  readonly foreign: readonly string[];
  /** Managed policies the profile no longer has. */
  readonly obsolete: readonly string[];
  /** Unmanaged policies allowing more than the namespace's ceiling (NP-CEILING), with why. */
  readonly aboveCeiling: readonly AboveCeiling[];
  /** Pods judged (finished ones are left out: they take no connections). */
  readonly pods: number;
  readonly tierProblems: readonly TierProblem[];
  /** Policies without app.kubernetes.io/managed-by=netpol-hygiene, by name. */
  readonly unmanaged: readonly string[];
}

export interface AboveCeiling {
  readonly policy: string;
  /** NP-CEILING's messages, one per rule beyond the ceiling. */
  readonly messages: readonly string[];
}

export interface TierProblem {
  readonly pod: string;
  /** The tier label's value; null when the pod has none. */
  readonly tier: string | null;
  /** `missing`: no tier label; `invalid`: not one of tierLabel.values; `unentitled`: not for this pod (tierEntitlements). */
  readonly problem: 'missing' | 'invalid' | 'unentitled';
  readonly message: string;
}

export function zeroDecisions(): DecisionCounts {
  return { allowed: 0, patched: 0, warned: 0, denied: 0, exempt: 0 };
}
