/**
 * The report as one self-contained HTML file a reviewer can attach to an audit ticket: inline
 * CSS, inline SVG charts, no script and no external asset (the Content-Security-Policy
 * forbids both, so a hostile name in a log cannot make the page fetch or run anything).
 */
import { describeFilters, describeObject } from './describe.ts';
import { escapeHtml } from './html-escape.ts';
import { type AuditSummary, type DenialEntry, decisions, type LatestList, type RepairEntry, type Report } from './model.ts';
import { postureColors, postureSections } from './render-posture-html.ts';
import { breakdownChart, series, timelineChart } from './svg-charts.ts';

const colors: Record<(typeof series)[number], string> = {
  allowed: '#3f8f55',
  patched: '#2f6fc4',
  warned: '#c98a00',
  denied: '#c0392b',
  exempt: '#7f8791',
  repairs: '#7b4fc0',
};

const style = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;margin:0;background:#f6f7f9}
header,main{max-width:1100px;margin:0 auto;padding:16px 24px}
header{border-bottom:1px solid #d8dce2;background:#fff;max-width:none}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#4a5360;margin:2px 0}
section{background:#fff;border:1px solid #d8dce2;border-radius:6px;padding:4px 16px 16px;margin:16px 0}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0}
.card{border:1px solid #d8dce2;border-radius:6px;padding:8px 12px;min-width:96px}
.card dt{font-size:12px;color:#4a5360}.card dd{margin:0;font-size:20px;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:4px 0 8px;padding:0;list-style:none;font-size:12px}
.legend span{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
svg.chart{max-width:100%;height:auto;font-size:12px}
svg .label,svg .tick{fill:#1d232b}svg .value{fill:#1d232b;font-weight:600}svg .axis{stroke:#9aa1ab}
${Object.entries(colors).map(([name, color]) => `svg .s-${name}{fill:${color}}.legend .s-${name}{background:${color}}`).join('\n')}
${Object.entries(postureColors).map(([name, color]) => `svg .p-${name}{fill:${color}}.legend .p-${name}{background:${color}}`).join('\n')}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e4e7eb;vertical-align:top}
td.time{white-space:nowrap}
td.message{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}
.note{color:#4a5360;font-size:12px}
`;

export function renderHtml(report: Report): string {
  const title = report.audit === undefined ? 'netpol-hygiene cluster posture report' : 'netpol-hygiene audit report';
  const body = [report.audit === undefined ? '' : auditSections(report.audit), report.posture === undefined ? '' : postureSections(report.posture, section)].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>${style}</style>
</head>
<body>
<header><h1>${title}</h1>
<p class="meta">Generated ${escapeHtml(report.generatedAt)} (times in UTC)</p>
${report.audit === undefined ? '' : headerFacts(report.audit)}
${report.posture === undefined ? '' : `<p class="meta" id="cluster">Cluster: ${escapeHtml(report.posture.server)}</p>`}
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

function headerFacts(audit: AuditSummary): string {
  const period = audit.first === null ? 'no matching records' : `${audit.first} to ${audit.last}`;
  const { input } = audit;
  const skipped = input.skipped.operational + input.skipped.notJson + input.skipped.malformed + input.skipped.blank;
  return [
    `<p class="meta">Period: ${escapeHtml(period)}</p>`,
    `<p class="meta">Filters: ${escapeHtml(describeFilters(audit.filters))}</p>`,
    `<p class="meta" id="input">Read ${input.lines} lines: ${input.records} audit records, ${input.matched} matched; ${skipped} other lines skipped (${input.skipped.operational} operational, ${input.skipped.notJson} not JSON, ${input.skipped.malformed} malformed, ${input.skipped.blank} blank)</p>`,
  ].join('\n');
}

function auditSections(audit: AuditSummary): string {
  return [
    section('totals', 'Totals', totals(audit)),
    section('timeline', 'Decisions over time', legend() + timelineChart('chart-timeline', 'Decisions over time', audit.timeline)),
    section('rules', 'Top rules', breakdownSection('chart-rules', 'Top rules by records', audit.byRule)),
    section('namespaces', 'Top namespaces', breakdownSection('chart-namespaces', 'Top namespaces by records', audit.byNamespace)),
    section('users', 'Top users and service accounts', breakdownSection('chart-users', 'Top users and service accounts by records', audit.byUser)),
    section('denials', 'Denials', latestTable(audit.denials, ['Time', 'Object', 'User', 'Rules', 'Mode', 'Message'], denialCells)),
    section('repairs', 'Repairs', latestTable(audit.repairs, ['Time', 'Namespace', 'Action', 'Policies', 'Message'], repairCells)),
    section('above-ceiling-reports', 'Policies reported above the ceiling (not changed)', latestTable(audit.aboveCeilingReports, ['Time', 'Namespace', 'Policy', 'Trigger', 'Message'], aboveCeilingCells)),
  ].join('\n');
}

function section(id: string, title: string, content: string): string {
  return `<section id="${id}" aria-labelledby="${id}-heading"><h2 id="${id}-heading">${escapeHtml(title)}</h2>\n${content}\n</section>`;
}

function totals(audit: AuditSummary): string {
  const t = audit.totals;
  const cards: [string, string, number][] = [
    ['admissions', 'Admission decisions', t.admissions],
    ...decisions.map((decision): [string, string, number] => [decision, decision[0]?.toUpperCase() + decision.slice(1), t.decisions[decision]]),
    ['could-not-decide', 'Could not decide', t.couldNotDecide],
    ['dry-run', 'Dry run', t.dryRun],
    ['repairs', 'Repairs', t.repairs],
    ['above-ceiling-reports', 'Reported above the ceiling', t.aboveCeilingReports],
  ];
  const items = cards.map(([key, label, value]) => `<div class="card" data-total="${key}" data-value="${value}"><dt>${label}</dt><dd>${value}</dd></div>`);
  return `<dl class="cards">${items.join('')}</dl>`;
}

function legend(): string {
  return `<ul class="legend" aria-label="Colours">${series.map((name) => `<li><span class="s-${name}"></span>${name}</li>`).join('')}</ul>`;
}

function breakdownSection(id: string, title: string, data: AuditSummary['byRule']): string {
  const note = data.approximate ? '<p class="note">More distinct values than tracked: counts are upper bounds.</p>' : '';
  return legend() + breakdownChart(id, title, data) + note;
}

function latestTable<T>(list: LatestList<T>, headers: readonly string[], cells: (item: T) => string[]): string {
  if (list.total === 0) return '<p class="note">None.</p>';
  const older = list.notShown > 0 ? `; ${list.notShown} older not shown` : '';
  const head = `<tr>${headers.map((h) => `<th scope="col">${h}</th>`).join('')}</tr>`;
  const rows = list.shown.map((item) => `<tr>${cells(item).join('')}</tr>`);
  return `<p class="note">${list.total} in all, newest first${older}.</p><table><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function cell(text: string, className?: string): string {
  return `<td${className === undefined ? '' : ` class="${className}"`}>${escapeHtml(text)}</td>`;
}

function denialCells(denial: DenialEntry): string[] {
  const mode = `${denial.mode} ${denial.code}${denial.dryRun ? ' (dry run)' : ''}`;
  return [cell(denial.time, 'time'), cell(`${denial.operation} ${describeObject(denial)}`), cell(denial.user ?? '(unknown)'), cell(denial.rules.join(', ')), cell(mode), cell(denial.message, 'message')];
}

function repairCells(repair: RepairEntry): string[] {
  return [cell(repair.time, 'time'), cell(repair.namespace), cell(repair.action), cell(repair.policies.join(', ')), cell(repair.message, 'message')];
}

function aboveCeilingCells(report: RepairEntry): string[] {
  return [cell(report.time, 'time'), cell(report.namespace), cell(report.policies.join(', ')), cell(report.trigger), cell(report.message, 'message')];
}
