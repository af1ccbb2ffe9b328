import type { Operation as PatchOperation } from 'fast-json-patch';
import type { Mode } from '../config/types.ts';
import type { RuleId } from '../kube/vocabulary.ts';
import { BufferedWriter, type BufferedWriterStats } from './buffered-writer.ts';
import { openSinkDescriptor } from './sink-descriptor.ts';
import { type WriterOptions, stdoutWriter, writerOptions } from './stdout.ts';

export type AuditDecision = 'allowed' | 'patched' | 'warned' | 'denied' | 'exempt';

/** One per admission decision and one per repair: what happened, to what, for whom, and why. */
export interface AdmissionAuditRecord {
  readonly event: 'admission';
  readonly webhook: 'mutate' | 'validate';
  readonly uid: string;
  readonly operation: string;
  readonly kind: string;
  /** `status` or `finalize` when the request came through a subresource. */
  readonly subResource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly user?: string;
  readonly groups: readonly string[];
  readonly dryRun: boolean;
  readonly mode: Mode;
  readonly decision: AuditDecision;
  /** HTTP-style status of the response: 200 allowed, 403 denied by a rule, 500 could not decide. */
  readonly code: number;
  readonly rules: readonly RuleId[];
  readonly message?: string;
  readonly reasons?: readonly string[];
  readonly patch?: readonly PatchOperation[];
  readonly latencyMs: number;
}

export interface RepairAuditRecord {
  readonly event: 'repair';
  readonly namespace: string;
  readonly action: string;
  readonly policies: readonly string[];
  readonly trigger: string;
  readonly message: string;
}

export type AuditRecord = AdmissionAuditRecord | RepairAuditRecord;

/**
 * A repair of a namespace's baseline (policies created, restored or removed). Other `repair`
 * events are about the cluster side's work, not repairs: the start-up backfill's summary
 * (each namespace it repaired has its own record) and policies reported above the ceiling.
 */
export function isBaselineRepair(record: { readonly event: string; readonly action?: string }): boolean {
  return record.event === 'repair' && record.action === 'apply-baseline';
}

/** The `action` of a report of an existing policy above its namespace's ceiling (CeilingReporter). */
export const aboveCeilingAction = 'above-ceiling';

/** An existing policy reported above its namespace's ceiling: found and told, nothing changed. */
export function isAboveCeilingReport(record: { readonly event: string; readonly action?: string }): boolean {
  return record.event === 'repair' && record.action === aboveCeilingAction;
}

export interface AuditSink {
  write(record: AuditRecord): void;
}

export interface AuditLog extends AuditSink {
  /** Writes every queued record before returning: for signal handlers; exit and crashes do it anyway. */
  flush(): void;
  /** Per sink: records buffered, written, dropped; for /metrics. Stdout's lines include the operational log's, which share its writer. */
  stats(): readonly AuditSinkStats[];
}

export interface AuditSinkStats extends BufferedWriterStats {
  /** `stdout` or the file path. */
  readonly sink: string;
}

export type AuditLogOptions = WriterOptions;

/**
 * Audit records are pino JSON lines marked `audit: true`, on stdout beside the operational
 * log, and also in a file when the config names one. Each sink buffers them and writes after
 * the response (see BufferedWriter), so a stalled log pipe never stalls admission; every
 * queued record is written synchronously when the process exits, including on an uncaught
 * exception (Node emits `exit` then too) and after SIGTERM. Only a SIGKILL or an OOM kill can
 * lose records: at most the last batch (5 ms).
 */
export function createAuditSink(file?: string, options: AuditLogOptions = {}): AuditLog {
  const stdout = stdoutWriter(options);
  const files = file === undefined ? [] : [new BufferedWriter(openSinkDescriptor(file), writerOptions(options))];
  const writers = [stdout, ...files];
  const flushFiles = (): void => files.forEach((writer) => writer.flushSync());
  process.on('exit', flushFiles);
  return {
    write(record) {
      const line = auditLine(record);
      for (const writer of writers) writer.write(line);
    },
    flush: () => writers.forEach((writer) => writer.flushSync()),
    stats: () => writers.map((writer, i) => ({ sink: i === 0 ? 'stdout' : (file ?? ''), ...writer.stats() })),
  };
}

/**
 * The line pino writes for `info(record)` with `base: { audit: true }`, which is what log
 * pipelines parse; built with one JSON.stringify instead of pino's walk over every key
 * (about half the cost per record). Every record has at least `event`, so the object is never empty.
 */
export function auditLine(record: AuditRecord, time: number = Date.now()): string {
  return `{"level":30,"time":${time},"audit":true,${JSON.stringify(record).slice(1)}\n`;
}
