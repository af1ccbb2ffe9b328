/**
 * Charts as inline SVG strings: no script, no external asset. Every bar carries its number
 * twice, as visible text and in `data-value` (with `data-key` / `data-decision`), and a
 * `<title>` a screen reader or a hover shows; each chart is an `img` named by its title.
 */
import type { AuditDecision } from '../audit/audit-log.ts';
import { describeSeconds } from './describe.ts';
import { escapeHtml } from './html-escape.ts';
import { type Breakdown, type DecisionCounts, decisions, type Timeline } from './model.ts';

export type Series = AuditDecision | 'repairs';
export const series: readonly Series[] = [...decisions, 'repairs'];

interface Stack {
  readonly decisions: DecisionCounts;
  readonly repairs: number;
}

interface Segment {
  readonly series: Series;
  readonly value: number;
}

function segments(stack: Stack): Segment[] {
  return series.map((name) => ({ series: name, value: name === 'repairs' ? stack.repairs : stack.decisions[name] })).filter((s) => s.value > 0);
}

function total(stack: Stack): number {
  return series.reduce((sum, name) => sum + (name === 'repairs' ? stack.repairs : stack.decisions[name]), 0);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function svgOpen(id: string, text: { readonly title: string; readonly description: string }, { width, height }: { readonly width: number; readonly height: number }): string {
  const { title, description } = text;
  return (
    `<svg class="chart" id="${id}" data-chart="${id}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(description)}</desc>`
  );
}

const labelWidth = 260;
const barArea = 380;
const rowHeight = 26;
const maxLabelChars = 36;

/** Horizontal bars, one per key, stacked by decision, largest first. */
export function breakdownChart(id: string, title: string, data: Breakdown): string {
  const entries = data.entries;
  const height = Math.max(1, entries.length) * rowHeight + 8;
  const width = labelWidth + barArea + 60;
  const max = Math.max(1, ...entries.map((entry) => entry.total));
  const description = entries.length === 0 ? 'No records.' : entries.map((entry) => `${entry.key}: ${plural(entry.total, 'record')}`).join('; ');
  const rows = entries.map((entry, index) => {
    const y = 4 + index * rowHeight;
    const label = entry.key.length > maxLabelChars ? `${entry.key.slice(0, maxLabelChars - 1)}…` : entry.key;
    let x = labelWidth;
    const bars = segments(entry).map((segment) => {
      const w = (segment.value / max) * barArea;
      const rect = `<rect class="s-${segment.series}" data-decision="${segment.series}" data-value="${segment.value}" x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}"><title>${escapeHtml(`${entry.key}, ${segment.series}: ${segment.value}`)}</title></rect>`;
      x += w;
      return rect;
    });
    return (
      `<g class="bar" data-key="${escapeHtml(entry.key)}" data-value="${entry.total}"><title>${escapeHtml(`${entry.key}: ${plural(entry.total, 'record')}`)}</title>` +
      `<text class="label" x="${labelWidth - 8}" y="${y + rowHeight / 2 + 1}" text-anchor="end" dominant-baseline="middle">${escapeHtml(label)}</text>` +
      `${bars.join('')}<text class="value" x="${(x + 6).toFixed(1)}" y="${y + rowHeight / 2 + 1}" dominant-baseline="middle">${entry.total}</text></g>`
    );
  });
  const empty = entries.length === 0 ? `<text class="empty" x="8" y="20">No records</text>` : '';
  return `${svgOpen(id, { title, description }, { width, height })}${rows.join('')}${empty}</svg>`;
}

const plotLeft = 48;
const plotTop = 22;
const plotHeight = 200;
const plotWidth = 640;

/** Vertical bars per time bucket, stacked by decision, the bucket's total above each bar. */
export function timelineChart(id: string, title: string, timeline: Timeline): string {
  const buckets = timeline.buckets;
  const width = plotLeft + plotWidth + 16;
  const height = plotTop + plotHeight + 40;
  const max = Math.max(1, ...buckets.map(total));
  const slot = plotWidth / Math.max(1, buckets.length);
  const description =
    buckets.length === 0
      ? 'No records.'
      : `${buckets.length} ${describeSeconds(timeline.bucketSeconds)} buckets from ${buckets[0]?.start}; busiest bucket ${plural(max, 'record')}.`;
  const bars = buckets.map((bucket, index) => timelineBar(bucket, index, slot, max));
  const axis =
    `<line class="axis" x1="${plotLeft}" y1="${plotTop + plotHeight}" x2="${plotLeft + plotWidth}" y2="${plotTop + plotHeight}"/>` +
    `<text class="tick" x="${plotLeft - 6}" y="${plotTop + 4}" text-anchor="end">${max}</text>` +
    `<text class="tick" x="${plotLeft - 6}" y="${plotTop + plotHeight}" text-anchor="end">0</text>` +
    timeTicks(buckets.map((bucket) => bucket.start), slot);
  return `${svgOpen(id, { title, description }, { width, height })}${axis}${bars.join('')}</svg>`;
}

function timelineBar(bucket: Timeline['buckets'][number], index: number, slot: number, max: number): string {
  const x = plotLeft + index * slot + slot * 0.1;
  const w = slot * 0.8;
  let y = plotTop + plotHeight;
  const rects = segments(bucket).map((segment) => {
    const h = (segment.value / max) * plotHeight;
    y -= h;
    return `<rect class="s-${segment.series}" data-decision="${segment.series}" data-value="${segment.value}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeHtml(`${bucket.start}, ${segment.series}: ${segment.value}`)}</title></rect>`;
  });
  const count = total(bucket);
  const label = count === 0 ? '' : `<text class="value" x="${(x + w / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle">${count}</text>`;
  return `<g class="bucket" data-start="${bucket.start}" data-value="${count}"><title>${escapeHtml(`${bucket.start}: ${plural(count, 'record')}`)}</title>${rects.join('')}${label}</g>`;
}

/** The first, middle and last bucket start as HH:MM (with the date when the span crosses days). */
function timeTicks(starts: readonly string[], slot: number): string {
  if (starts.length === 0) return '';
  const sameDay = starts[0]?.slice(0, 10) === starts.at(-1)?.slice(0, 10);
  const picks = [...new Set([0, Math.floor((starts.length - 1) / 2), starts.length - 1])];
  return picks
    .map((index) => {
      const start = starts[index] ?? '';
      const text = sameDay ? start.slice(11, 16) : `${start.slice(5, 10)} ${start.slice(11, 16)}`;
      return `<text class="tick" x="${(plotLeft + (index + 0.5) * slot).toFixed(1)}" y="${plotTop + plotHeight + 16}" text-anchor="middle">${text}</text>`;
    })
    .join('');
}
