/**
 * The posture chart as inline SVG: one horizontal bar per governed namespace, stacked by kind
 * of problem. Like the audit charts, every bar carries its number as visible text and in
 * `data-value` (segments: `data-problem`), with a `<title>`; complete namespaces show 0.
 */
import { escapeHtml } from './html-escape.ts';
import type { NamespacePosture } from './model.ts';
import { countOf, type PostureProblem, postureProblems, problemCounts } from './posture-words.ts';
import { svgOpen } from './svg-charts.ts';

const labelWidth = 220;
const barArea = 380;
const rowHeight = 26;
const maxLabelChars = 30;

export function postureChart(id: string, title: string, namespaces: readonly NamespacePosture[]): string {
  const counts = namespaces.map((ns) => ({ ns, counts: problemCounts(ns) }));
  const totals = counts.map(({ counts }) => sumOf(counts));
  const max = Math.max(1, ...totals);
  const height = Math.max(1, namespaces.length) * rowHeight + 8;
  const description = namespaces.length === 0 ? 'No governed namespace.' : namespaces.map((ns, i) => `${ns.name}: ${countOf(totals[i] ?? 0, 'problem', 'problems')}`).join('; ');
  const rows = counts.map(({ ns, counts }, index) => row(ns, counts, { y: 4 + index * rowHeight, max }));
  const empty = namespaces.length === 0 ? `<text class="empty" x="8" y="20">No governed namespace</text>` : '';
  return `${svgOpen(id, { title, description }, { width: labelWidth + barArea + 120, height })}${rows.join('')}${empty}</svg>`;
}

function row(ns: NamespacePosture, counts: Record<PostureProblem, number>, at: { y: number; max: number }): string {
  const { y, max } = at;
  const total = sumOf(counts);
  const label = ns.name.length > maxLabelChars ? `${ns.name.slice(0, maxLabelChars - 1)}…` : ns.name;
  let x = labelWidth;
  const bars = postureProblems
    .filter((problem) => counts[problem] > 0)
    .map((problem) => {
      const w = (counts[problem] / max) * barArea;
      const rect = `<rect class="p-${problem}" data-problem="${problem}" data-value="${counts[problem]}" x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}"><title>${escapeHtml(`${ns.name}, ${problem}: ${counts[problem]}`)}</title></rect>`;
      x += w;
      return rect;
    });
  const value = total === 0 ? '0 (complete)' : String(total);
  return (
    `<g class="bar" data-key="${escapeHtml(ns.name)}" data-value="${total}" data-baseline="${ns.baseline}"><title>${escapeHtml(`${ns.name}: ${countOf(total, 'problem', 'problems')}, baseline ${ns.baseline}`)}</title>` +
    `<text class="label" x="${labelWidth - 8}" y="${y + rowHeight / 2 + 1}" text-anchor="end" dominant-baseline="middle">${escapeHtml(label)}</text>` +
    `${bars.join('')}<text class="value" x="${(x + 6).toFixed(1)}" y="${y + rowHeight / 2 + 1}" dominant-baseline="middle">${value}</text></g>`
  );
}

function sumOf(counts: Record<PostureProblem, number>): number {
  return postureProblems.reduce((sum, problem) => sum + counts[problem], 0);
}
