import { isAboveCeilingReport, isBaselineRepair } from '../audit/audit-log.ts';
import { type AdmissionEvent, type AuditEvent, namespaceOf, parseAuditLine, type RepairEvent } from './audit-line.ts';
import { type EventFilter, matchesFilter } from './filter.ts';
import { LatestKeeper } from './latest-list.ts';
import { type AuditSummary, type AuditTotals, type DenialEntry, type RepairEntry, zeroDecisions } from './model.ts';
import { TimelineCounter } from './timeline.ts';
import { TopCounter } from './top-counter.ts';

export interface SummaryLimits {
  /** Entries shown per breakdown. */
  readonly top: number;
  /** Denials, repairs and above-ceiling reports listed with their messages (the most recent). */
  readonly listed: number;
}

/** Keys tracked per breakdown: exact up to this many distinct values, approximate beyond. */
const trackedKeys = 1000;
const timelineBuckets = 60;

type Skipped = { blank: number; operational: number; notJson: number; malformed: number };
type Totals = { -readonly [K in keyof AuditTotals]: AuditTotals[K] };

/**
 * Folds audit log lines into an AuditSummary one line at a time. Everything it holds is
 * bounded (top-N counters, a fixed-size timeline, the latest N denials, repairs and
 * above-ceiling reports), so memory stays flat whatever the size of the log.
 */
export class AuditSummarizer {
  private readonly filter: EventFilter;
  private readonly limits: SummaryLimits;
  private lines = 0;
  private records = 0;
  private matched = 0;
  private readonly skipped: Skipped = { blank: 0, operational: 0, notJson: 0, malformed: 0 };
  private first: number | undefined;
  private last: number | undefined;
  private readonly totals: Totals = { admissions: 0, decisions: zeroDecisions(), couldNotDecide: 0, dryRun: 0, repairs: 0, aboveCeilingReports: 0 };
  private readonly byRule = new TopCounter(trackedKeys);
  private readonly byNamespace = new TopCounter(trackedKeys);
  private readonly byUser = new TopCounter(trackedKeys);
  private readonly timeline = new TimelineCounter(timelineBuckets);
  private readonly denials: LatestKeeper<DenialEntry>;
  private readonly repairs: LatestKeeper<RepairEntry>;
  private readonly aboveCeilingReports: LatestKeeper<RepairEntry>;

  constructor(filter: EventFilter, limits: SummaryLimits) {
    this.filter = filter;
    this.limits = limits;
    this.denials = new LatestKeeper(limits.listed);
    this.repairs = new LatestKeeper(limits.listed);
    this.aboveCeilingReports = new LatestKeeper(limits.listed);
  }

  /** Records read so far (for progress). */
  get recordCount(): number {
    return this.records;
  }

  addLine(line: string): void {
    this.lines += 1;
    const parsed = parseAuditLine(line);
    if (parsed.type !== 'record') {
      this.skipped[parsed.type] += 1;
      return;
    }
    this.records += 1;
    if (matchesFilter(parsed.record, this.filter)) this.count(parsed.record);
  }

  summary(filters: AuditSummary['filters']): AuditSummary {
    return {
      filters,
      input: { lines: this.lines, records: this.records, matched: this.matched, skipped: { ...this.skipped } },
      first: this.first === undefined ? null : new Date(this.first).toISOString(),
      last: this.last === undefined ? null : new Date(this.last).toISOString(),
      totals: { ...this.totals, decisions: { ...this.totals.decisions } },
      byRule: this.byRule.top(this.limits.top),
      byNamespace: this.byNamespace.top(this.limits.top),
      byUser: this.byUser.top(this.limits.top),
      timeline: this.timeline.result(),
      denials: this.denials.result(),
      repairs: this.repairs.result(),
      aboveCeilingReports: this.aboveCeilingReports.result(),
    };
  }

  private count(event: AuditEvent): void {
    this.matched += 1;
    this.first = Math.min(this.first ?? event.time, event.time);
    this.last = Math.max(this.last ?? event.time, event.time);
    if (event.event === 'admission') this.countAdmission(event);
    else if (isBaselineRepair(event)) this.countRepair(event);
    else if (isAboveCeilingReport(event)) this.countAboveCeilingReport(event);
    // Any other `repair` record (the start-up backfill's summary) is no repair: each namespace
    // the backfill repaired has a record of its own.
  }

  private countRepair(event: RepairEvent): void {
    this.totals.repairs += 1;
    this.timeline.add(event.time, 'repair');
    this.byNamespace.add(event.namespace, 'repair');
    this.repairs.add(event.time, () => repairEntry(event));
  }

  /** Counted and listed on their own: nothing was changed, so not in the repair columns. */
  private countAboveCeilingReport(event: RepairEvent): void {
    this.totals.aboveCeilingReports += 1;
    this.aboveCeilingReports.add(event.time, () => repairEntry(event));
  }

  private countAdmission(event: AdmissionEvent): void {
    this.totals.admissions += 1;
    this.timeline.add(event.time, event.decision);
    this.byNamespace.add(namespaceOf(event) ?? '(cluster-scoped)', event.decision);
    this.totals.decisions[event.decision] += 1;
    if (event.code >= 500) this.totals.couldNotDecide += 1;
    if (event.dryRun) this.totals.dryRun += 1;
    for (const rule of event.rules.length > 0 ? event.rules : ['(none)']) this.byRule.add(rule, event.decision);
    this.byUser.add(event.user ?? '(unknown)', event.decision);
    if (event.decision === 'denied') this.denials.add(event.time, () => denialEntry(event));
  }
}

function denialEntry(event: AdmissionEvent): DenialEntry {
  return {
    time: new Date(event.time).toISOString(),
    source: event.source,
    namespace: namespaceOf(event),
    kind: event.kind,
    subResource: event.subResource,
    name: event.name,
    operation: event.operation,
    user: event.user,
    mode: event.mode,
    code: event.code,
    rules: event.rules,
    dryRun: event.dryRun,
    message: event.message ?? '',
  };
}

function repairEntry(event: RepairEvent): RepairEntry {
  const { time, source, namespace, action, policies, trigger, message } = event;
  return { time: new Date(time).toISOString(), source, namespace, action, policies, trigger, message };
}
