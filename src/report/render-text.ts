import { describeFilters, describeObject, describeSeconds } from './describe.ts';
import { type AuditSummary, type Breakdown, type DenialEntry, decisions, type LatestList, type RepairEntry, type Report } from './model.ts';
import { postureSections } from './render-posture-text.ts';
import { formatTable } from './text-table.ts';

const decisionHeaders = ['ALLOWED', 'PATCHED', 'WARNED', 'DENIED', 'EXEMPT', 'REPAIRS'];

/** The report as aligned text tables, for a terminal or a ticket comment. */
export function renderText(report: Report): string {
  const sections = [`netpol-hygiene report, generated ${report.generatedAt}`];
  if (report.audit !== undefined) sections.push(...auditSections(report.audit));
  if (report.posture !== undefined) sections.push(...postureSections(report.posture));
  return `${sections.join('\n\n')}\n`;
}

function auditSections(audit: AuditSummary): string[] {
  return [
    overview(audit),
    `By decision\n${decisionTable(audit)}`,
    breakdown('By rule', 'RULE', audit.byRule),
    breakdown('By namespace', 'NAMESPACE', audit.byNamespace),
    breakdown('By user', 'USER', audit.byUser),
    timeline(audit),
    latest('Denials', audit.denials, denialLines),
    latest('Repairs', audit.repairs, repairLines),
    latest('Policies reported above the ceiling (not changed)', audit.aboveCeilingReports, aboveCeilingLines),
  ];
}

function overview(audit: AuditSummary): string {
  const { input, totals } = audit;
  const { skipped } = input;
  return [
    `Audit log: ${input.lines} lines, ${input.records} audit records, ${input.matched} matched the filters`,
    `Skipped: ${skipped.operational} operational, ${skipped.notJson} not JSON, ${skipped.malformed} malformed, ${skipped.blank} blank`,
    `Filters: ${describeFilters(audit.filters)}`,
    `Period: ${audit.first === null ? 'no records' : `${audit.first} to ${audit.last}`}`,
    `Totals: ${totals.admissions} admission decisions (${totals.couldNotDecide} could not decide, ${totals.dryRun} dry run), ${totals.repairs} repairs, ${totals.aboveCeilingReports} reported above the ceiling`,
  ].join('\n');
}

function decisionTable(audit: AuditSummary): string {
  const all = audit.totals.admissions;
  const rows = decisions.map((decision) => [decision, audit.totals.decisions[decision], share(audit.totals.decisions[decision], all)]);
  return formatTable(['DECISION', 'RECORDS', 'SHARE'], rows);
}

function share(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

function breakdown(title: string, keyHeader: string, data: Breakdown): string {
  const note = data.approximate ? ' (approximate: more distinct values than tracked; ERROR is how much TOTAL may overstate)' : '';
  if (data.entries.length === 0) return `${title}\n  none`;
  const heading = `${title} (top ${data.entries.length})${note}`;
  const rows = data.entries.map((entry) => [
    entry.key,
    entry.total,
    ...decisions.map((decision) => entry.decisions[decision]),
    entry.repairs,
    ...(data.approximate ? [entry.error] : []),
  ]);
  return `${heading}\n${formatTable([keyHeader, 'TOTAL', ...decisionHeaders, ...(data.approximate ? ['ERROR'] : [])], rows)}`;
}

function timeline(audit: AuditSummary): string {
  const { bucketSeconds, buckets } = audit.timeline;
  const heading = `Timeline (${describeSeconds(bucketSeconds)} buckets, UTC)`;
  if (buckets.length === 0) return `${heading}\n  none`;
  const rows = buckets.map((bucket) => [bucket.start, ...decisions.map((decision) => bucket.decisions[decision]), bucket.repairs]);
  return `${heading}\n${formatTable(['START', ...decisionHeaders], rows)}`;
}

function latest<T>(title: string, list: LatestList<T>, lines: (item: T) => string[]): string {
  const older = list.notShown > 0 ? `; ${list.notShown} older not shown` : '';
  const heading = `${title}: ${list.total}${list.shown.length > 0 ? ` (newest first${older})` : ''}`;
  return [heading, ...list.shown.flatMap(lines)].join('\n');
}

function denialLines(denial: DenialEntry): string[] {
  const rules = denial.rules.length > 0 ? denial.rules.join(',') : 'no rule';
  const facts = [denial.time, denial.operation, describeObject(denial), `by ${denial.user ?? '(unknown)'}`, rules, `${denial.mode} ${denial.code}`];
  if (denial.dryRun) facts.push('dry run');
  if (denial.source !== undefined) facts.push(denial.source);
  return [`  ${facts.join('  ')}`, `    ${denial.message}`];
}

function repairLines(repair: RepairEntry): string[] {
  const facts = [repair.time, repair.action, `namespace ${repair.namespace}`, ...(repair.source === undefined ? [] : [repair.source])];
  return [`  ${facts.join('  ')}`, `    ${repair.message}`];
}

function aboveCeilingLines(report: RepairEntry): string[] {
  const policies = report.policies.map((name) => `${report.namespace}/${name}`);
  const facts = [report.time, `NetworkPolicy ${policies.join(', ')}`, report.trigger, ...(report.source === undefined ? [] : [report.source])];
  return [`  ${facts.join('  ')}`, `    ${report.message}`];
}
