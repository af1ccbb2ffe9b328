import { Counter, Histogram, type Registry } from 'prom-client';
import { type AdmissionAuditRecord, type RepairAuditRecord, isBaselineRepair } from '../audit/audit-log.ts';
import { admissionLabels, repairReason } from './labels.ts';

/** 0.25 ms (a cache-only decision) to 5 s (the webhooks' timeoutSeconds). */
export const latencyBucketsSeconds: readonly number[] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const admissionLabelNames = ['webhook', 'kind', 'operation', 'decision', 'rule', 'mode'] as const;
type AdmissionLabelName = (typeof admissionLabelNames)[number];

/**
 * The per-request series. On the hot path: the record's labels and one inc and one observe
 * (prom-client hashes the label set per call; a cache of bound children measured slower).
 */
export class AdmissionSeries {
  private readonly requests: Counter<AdmissionLabelName>;
  private readonly duration: Histogram<'webhook' | 'kind'>;
  private readonly repairs: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'netpol_hygiene_admission_requests_total',
      help: 'Admission decisions, one per AdmissionReview answered (rule: the rules behind it, comma-joined, or none).',
      labelNames: admissionLabelNames,
      registers,
    });
    this.duration = new Histogram({
      name: 'netpol_hygiene_admission_duration_seconds',
      help: 'Time from receiving a decoded AdmissionReview to its answer, self-heal included.',
      labelNames: ['webhook', 'kind'],
      buckets: [...latencyBucketsSeconds],
      registers,
    });
    this.repairs = new Counter({
      name: 'netpol_hygiene_repairs_total',
      help: 'Baseline repairs applied (missing, edited or obsolete managed policies), by what triggered them.',
      labelNames: ['reason'],
      registers,
    });
  }

  admission(record: AdmissionAuditRecord): void {
    const labels = admissionLabels(record);
    this.requests.inc(labels);
    this.duration.observe({ webhook: labels.webhook, kind: labels.kind }, record.latencyMs / 1000);
  }

  /** Baseline repairs only: not the backfill's summary, nor above-ceiling reports. */
  repair(record: RepairAuditRecord): void {
    if (!isBaselineRepair(record)) return;
    this.repairs.inc({ reason: repairReason(record.trigger) });
  }
}
