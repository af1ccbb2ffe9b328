import type { CheckResult, Verdict } from './admission-check.ts';
import type { SourcedObject } from './candidates.ts';

/** What a check found, and the input objects no netpol-hygiene webhook reviews. */
export interface CheckReport {
  readonly results: readonly CheckResult[];
  readonly skipped: readonly SourcedObject[];
}

const verdicts: readonly Verdict[] = ['denied', 'warned', 'patched', 'allowed', 'exempt'];

/** `Deployment products-prod/ui (pod template)`, `Namespace team-a`. */
export function subjectOf(result: CheckResult): string {
  const { kind, namespace, name } = result.origin;
  const template = kind !== result.reviewed ? ' (pod template)' : '';
  return `${kind} ${namespace === undefined ? '' : `${namespace}/`}${name}${template}`;
}

/**
 * One block per object in the order applied: the verdict, what it is and where it came from,
 * then the webhook's messages as kubectl would print them, what was changed and why, and notes.
 */
export function checkText(report: CheckReport): string {
  const lines: string[] = [];
  for (const result of report.results) {
    const update = result.operation === 'UPDATE' ? ' (update)' : '';
    lines.push(`${result.verdict.padEnd(8)} ${subjectOf(result)}${update}  ${result.source}`);
    for (const text of detailLines(result)) lines.push(`         ${text}`);
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

function detailLines(result: CheckResult): string[] {
  const prefix = result.verdict === 'warned' ? 'Warning: ' : result.verdict === 'denied' ? '' : 'audit: ';
  const messages = result.messages.map((message) => `${prefix}${message}`);
  const changes = result.verdict === 'denied' ? [] : result.reasons;
  return [...messages, ...changes, ...result.notes.map((note) => `note: ${note}`)];
}

function summaryLine({ results, skipped }: CheckReport): string {
  const counts = verdicts.map((verdict) => `${results.filter((r) => r.verdict === verdict).length} ${verdict}`);
  const kinds = [...new Set(skipped.map(({ object }) => String(object.kind)))].sort();
  const skippedText = skipped.length === 0 ? '' : `; ${skipped.length} skipped (kinds netpol-hygiene does not review: ${kinds.join(', ')})`;
  return `${results.length} checked: ${counts.join(', ')}${skippedText}`;
}

/** `-o json`: a stable shape for CI tools (`version: 1`). */
export function checkJson(report: CheckReport): string {
  const summary = Object.fromEntries([['checked', report.results.length], ...verdicts.map((verdict) => [verdict, report.results.filter((r) => r.verdict === verdict).length]), ['skipped', report.skipped.length]]);
  const skipped = report.skipped.map(({ source, object }) => ({ source, kind: object.kind, namespace: object.metadata?.namespace, name: object.metadata?.name }));
  return `${JSON.stringify({ version: 1, summary, results: report.results, skipped }, null, 2)}\n`;
}
