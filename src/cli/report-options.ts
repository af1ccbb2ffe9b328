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
  const problem = [top, listed, range].find((result) => typeof result === 'string');
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
    },
  };
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
