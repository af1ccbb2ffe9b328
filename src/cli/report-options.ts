import { parseArgs } from 'node:util';
import type { EventFilter } from '../report/filter.ts';
import type { ReportFilters } from '../report/model.ts';
import { parseTimeSpec } from '../report/time-spec.ts';

export const formats = ['text', 'json', 'html'] as const;
export type Format = (typeof formats)[number];

export interface ReportOptions {
  readonly format: Format;
  /** Files to read in order; `-` is stdin. Empty = stdin. */
  readonly inputs: readonly string[];
  readonly filter: EventFilter;
  /** The filters as the report states them (times resolved to RFC 3339). */
  readonly filters: ReportFilters;
  readonly top: number;
  readonly listed: number;
  readonly help: boolean;
  /** `--cluster`: the live cluster's posture, read with GET only; absent without it. */
  readonly cluster?: ClusterSource;
}

/** Where the posture comes from: a kubeconfig (and context), $KUBECONFIG, or the in-cluster service account. */
export interface ClusterSource {
  readonly kubeconfig?: string;
  readonly context?: string;
  /** The netpol-hygiene config the cluster is judged by (--config, else NETPOL_HYGIENE_CONFIG, else built in). */
  readonly config?: string;
}

export type ParsedOptions = { readonly ok: true; readonly options: ReportOptions } | { readonly ok: false; readonly error: string };

const maxTop = 100;
const maxListed = 1000;

/** `report` arguments → options, or the first thing wrong with them. `nowMs` resolves durations. */
export function parseReportOptions(args: readonly string[], nowMs: number): ParsedOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o', default: 'text' },
        since: { type: 'string' },
        until: { type: 'string' },
        namespace: { type: 'string', short: 'n', multiple: true, default: [] },
        rule: { type: 'string', multiple: true, default: [] },
        user: { type: 'string', multiple: true, default: [] },
        top: { type: 'string', default: '10' },
        list: { type: 'string', default: '50' },
        help: { type: 'boolean', short: 'h', default: false },
        cluster: { type: 'boolean', default: false },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        config: { type: 'string' },
      },
    });
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (!(formats as readonly string[]).includes(values.output)) return { ok: false, error: `-o must be one of ${formats.join(', ')}, got "${values.output}"` };
  const top = boundedInteger('--top', values.top, 1, maxTop);
  const listed = boundedInteger('--list', values.list, 0, maxListed);
  const range = timeRange(values.since, values.until, nowMs);
  const cluster = clusterSource({ cluster: values.cluster, kubeconfig: values.kubeconfig, context: values.context, config: values.config });
  const problem = [top, listed, range, cluster].find((result) => typeof result === 'string');
  if (typeof problem === 'string') return { ok: false, error: problem };
  const { sinceMs, untilMs } = range as TimeRange;
  const lists = { namespaces: values.namespace, rules: values.rule, users: values.user };
  return {
    ok: true,
    options: {
      format: values.output as Format,
      inputs: positionals,
      filter: { sinceMs, untilMs, ...lists },
      filters: { since: iso(sinceMs), until: iso(untilMs), ...lists },
      top: top as number,
      listed: listed as number,
      help: values.help,
      ...(cluster === undefined ? {} : { cluster: cluster as ClusterSource }),
    },
  };
}

interface ClusterFlags {
  readonly cluster: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly config?: string;
}

/** The --cluster source; the flags that only mean something with it are refused without it. */
function clusterSource(flags: ClusterFlags): ClusterSource | string | undefined {
  const { cluster, ...given } = flags;
  const source = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as ClusterSource;
  const stray = Object.keys(source);
  if (!cluster) return stray.length === 0 ? undefined : `--${stray.join(', --')} only with --cluster`;
  return source;
}

interface TimeRange {
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

function timeRange(since: string | undefined, until: string | undefined, nowMs: number): TimeRange | string {
  const sinceMs = resolveTime('--since', since, nowMs);
  const untilMs = resolveTime('--until', until, nowMs);
  if (typeof sinceMs === 'string') return sinceMs;
  if (typeof untilMs === 'string') return untilMs;
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs >= untilMs) return `--since (${iso(sinceMs)}) must be before --until (${iso(untilMs)})`;
  return { sinceMs, untilMs };
}

/** Epoch ms, undefined when not given, or the error. */
function resolveTime(flag: string, text: string | undefined, nowMs: number): number | string | undefined {
  if (text === undefined) return undefined;
  const spec = parseTimeSpec(text, nowMs);
  return spec.ok ? spec.epochMs : `${flag}: ${spec.error}`;
}

function boundedInteger(flag: string, text: string, min: number, max: number): number | string {
  const value = Number(text);
  return /^\d+$/.test(text) && value >= min && value <= max ? value : `${flag} must be an integer from ${min} to ${max}, got "${text}"`;
}

function iso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs).toISOString();
}
