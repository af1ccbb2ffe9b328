/**
 * One log line → an audit record, or why it is not one. The webhook's stdout carries both
 * audit records (pino JSON marked `"audit":true`) and the operational log, and `kubectl logs
 * --prefix [--timestamps]` puts `[pod/NAME/CONTAINER] ` and an RFC 3339 time in front.
 * Rule IDs are read as plain strings: a log may come from a newer version with more rules.
 */
import type { AuditDecision, RepairAuditRecord } from '../audit/audit-log.ts';
import { decisions } from './model.ts';

export interface AdmissionEvent {
  readonly event: 'admission';
  /** Epoch milliseconds. */
  readonly time: number;
  readonly source?: string;
  readonly kind: string;
  /** `status` or `finalize` when the request came through a subresource. */
  readonly subResource?: string;
  readonly operation: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly user?: string;
  readonly mode: string;
  readonly decision: AuditDecision;
  readonly code: number;
  readonly rules: readonly string[];
  readonly dryRun: boolean;
  readonly message?: string;
}

/** A repair record as the webhook writes it (every field is a plain string), with when and where it was read. */
export interface RepairEvent extends RepairAuditRecord {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly source?: string;
}

export type AuditEvent = AdmissionEvent | RepairEvent;

export type ParsedLine =
  | { readonly type: 'record'; readonly record: AuditEvent }
  | { readonly type: 'blank' | 'notJson' | 'operational' | 'malformed' };

// `[pod/netpol-hygiene-5d9c-abcde/webhook] ` from `kubectl logs --prefix`.
const prefixPattern = /^\[([^\]\s]+)\] /;
// `2026-11-30T16:00:00.123456789Z ` from `kubectl logs --timestamps`.
const timestampPattern = /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d) /;

export function parseAuditLine(line: string): ParsedLine {
  let rest = line;
  const prefix = prefixPattern.exec(rest);
  if (prefix !== null) rest = rest.slice(prefix[0].length);
  rest = rest.replace(timestampPattern, '');
  if (rest.trim() === '') return { type: 'blank' };
  const json = parseObject(rest);
  if (json === undefined) return { type: 'notJson' };
  if (json.audit !== true) return { type: 'operational' };
  const entry = toEntry(json, prefix === null ? undefined : sourceOf(prefix[1] ?? ''));
  return entry === undefined ? { type: 'malformed' } : { type: 'record', record: entry };
}

/** `pod/NAME/CONTAINER` → `pod/NAME`: the replica is what tells records apart. */
function sourceOf(prefix: string): string {
  const parts = prefix.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : prefix;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toEntry(json: Record<string, unknown>, source: string | undefined): AuditEvent | undefined {
  const time = timeOf(json.time);
  if (time === undefined) return undefined;
  if (json.event === 'admission') return admissionEntry(json, time, source);
  if (json.event === 'repair') return repairEntry(json, time, source);
  return undefined;
}

/** pino writes epoch milliseconds by default, an RFC 3339 string with `isoTime`. */
function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function admissionEntry(json: Record<string, unknown>, time: number, source: string | undefined): AdmissionEvent | undefined {
  const decision = json.decision as AuditDecision;
  if (!decisions.includes(decision) || typeof json.kind !== 'string' || typeof json.operation !== 'string') return undefined;
  const rules = stringArray(json.rules);
  if (rules === undefined) return undefined;
  return {
    event: 'admission',
    time,
    source,
    kind: json.kind,
    subResource: optionalString(json.subResource),
    operation: json.operation,
    namespace: optionalString(json.namespace),
    name: optionalString(json.name),
    user: optionalString(json.user),
    mode: optionalString(json.mode) ?? 'unknown',
    decision,
    code: typeof json.code === 'number' ? json.code : 200,
    rules,
    dryRun: json.dryRun === true,
    message: optionalString(json.message),
  };
}

function repairEntry(json: Record<string, unknown>, time: number, source: string | undefined): RepairEvent | undefined {
  const policies = stringArray(json.policies ?? []);
  if (typeof json.namespace !== 'string' || typeof json.message !== 'string' || policies === undefined) return undefined;
  return {
    event: 'repair',
    time,
    source,
    namespace: json.namespace,
    action: optionalString(json.action) ?? 'unknown',
    policies,
    trigger: optionalString(json.trigger) ?? '',
    message: json.message,
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringArray(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

/**
 * The namespace a record is about: a Namespace request names it in `name`, since the API
 * server leaves `namespace` empty for cluster-scoped objects.
 */
export function namespaceOf(entry: AuditEvent): string | undefined {
  if (entry.event === 'repair') return entry.namespace;
  return entry.namespace ?? (entry.kind === 'Namespace' ? entry.name : undefined);
}
