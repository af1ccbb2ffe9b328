/**
 * Just enough of the Prometheus text format for bench/apiserver.ts: the cumulative buckets of
 * named histograms, the difference between two scrapes, and histogram_quantile's estimate
 * (linear within the bucket, as Prometheus computes it).
 */

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Upper bound → cumulative count, in the order scraped (ascending, +Inf last). */
  readonly buckets: Map<number, number>;
}

/** Metric name → series keyed by their labels other than `le`. */
export type Histograms = Map<string, Map<string, Series>>;

const labelPattern = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(labelPattern)) labels[key as string] = value as string;
  return labels;
}

export function parseHistograms(text: string, names: readonly string[]): Histograms {
  const result: Histograms = new Map(names.map((name) => [name, new Map<string, Series>()]));
  for (const line of text.split('\n')) {
    const match = /^(\w+)_bucket\{(.*)\} (\S+)$/.exec(line);
    const series = match === null ? undefined : result.get(match[1] as string);
    if (match === null || series === undefined) continue;
    const { le, ...labels } = parseLabels(match[2] as string);
    const key = JSON.stringify(labels);
    const entry = series.get(key) ?? { labels, buckets: new Map<number, number>() };
    entry.buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(match[3]));
    series.set(key, entry);
  }
  return result;
}

/** What was counted between two scrapes. */
export function subtract(after: Histograms, before: Histograms): Histograms {
  const result: Histograms = new Map();
  for (const [name, series] of after) {
    const out = new Map<string, Series>();
    for (const [key, entry] of series) {
      const earlier = before.get(name)?.get(key)?.buckets;
      out.set(key, { labels: entry.labels, buckets: new Map([...entry.buckets].map(([le, n]) => [le, n - (earlier?.get(le) ?? 0)])) });
    }
    result.set(name, out);
  }
  return result;
}

/** The q-quantile over every series of `metric` whose labels include `match`, seconds; undefined when nothing was counted. */
export function histogramQuantile(histograms: Histograms, metric: string, match: Readonly<Record<string, string>>, q: number): number | undefined {
  const summed = new Map<number, number>();
  for (const entry of histograms.get(metric)?.values() ?? []) {
    if (!Object.entries(match).every(([key, value]) => (entry.labels[key] ?? '') === value)) continue;
    for (const [le, n] of entry.buckets) summed.set(le, (summed.get(le) ?? 0) + n);
  }
  const bounds = [...summed.keys()].sort((a, b) => a - b);
  const total = summed.get(Number.POSITIVE_INFINITY) ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const count = summed.get(le) ?? 0;
    if (count >= rank) return le === Number.POSITIVE_INFINITY ? lower : lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1);
    lower = le;
    below = count;
  }
  return lower;
}

/** Counter name → value per label set (JSON of the labels), for the named counters. */
export type Counters = Map<string, Map<string, { readonly labels: Readonly<Record<string, string>>; readonly value: number }>>;

export function parseCounters(text: string, names: readonly string[]): Counters {
  const result: Counters = new Map(names.map((name) => [name, new Map()]));
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    const series = match === null ? undefined : result.get(match[1] as string);
    if (match === null || series === undefined) continue;
    const labels = parseLabels(match[2] as string);
    series.set(JSON.stringify(labels), { labels, value: Number(match[3]) });
  }
  return result;
}

/** How much each series of `name` grew between two scrapes, summed by the labels `by` picks (series that did not grow left out). */
export function counterGrowth(after: Counters, before: Counters, name: string, by: (labels: Readonly<Record<string, string>>) => string): Map<string, number> {
  const grown = new Map<string, number>();
  for (const [key, entry] of after.get(name) ?? []) {
    const delta = entry.value - (before.get(name)?.get(key)?.value ?? 0);
    if (delta === 0) continue;
    const group = by(entry.labels);
    grown.set(group, (grown.get(group) ?? 0) + delta);
  }
  return grown;
}
