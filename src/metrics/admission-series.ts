import { Counter, type Registry } from 'prom-client';
import { type AdmissionAuditRecord, type RepairAuditRecord, isBaselineRepair } from '../audit/audit-log.ts';
import { type AdmissionLabels, admissionLabels, repairReason } from './labels.ts';
import { LatencyHistogram } from './latency-histogram.ts';

/** 0.25 ms (a cache-only decision) to 5 s (the webhooks' timeoutSeconds). */
export const latencyBucketsSeconds: readonly number[] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const admissionLabelNames = ['webhook', 'kind', 'operation', 'decision', 'rule', 'mode'] as const;
type AdmissionLabelName = (typeof admissionLabelNames)[number];

/**
 * The per-request series. On the hot path a decision costs a map lookup and two increments:
 * requests are tallied per label set here and handed to prom-client's counter when it is
 * scraped (prom-client hashes the label object on every call, ~1 µs), and the latency
 * histogram is our own (latency-histogram.ts).
 */
export class AdmissionSeries {
  private readonly requests: Counter<AdmissionLabelName>;
  private readonly unscraped = new Map<string, { readonly labels: AdmissionLabels; count: number }>();
  private readonly duration: LatencyHistogram;
  private readonly repairs: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const unscraped = this.unscraped;
    this.requests = new Counter({
      name: 'netpol_hygiene_admission_requests_total',
      help: 'Admission decisions, one per AdmissionReview answered (rule: the rules behind it, comma-joined, or none).',
      labelNames: admissionLabelNames,
      registers,
      collect() {
        for (const tally of unscraped.values()) {
          if (tally.count === 0) continue;
          this.inc({ ...tally.labels }, tally.count);
          tally.count = 0;
        }
      },
    });
    this.duration = new LatencyHistogram({
      name: 'netpol_hygiene_admission_duration_seconds',
      help: 'Time from receiving a decoded AdmissionReview to its answer, self-heal included.',
      buckets: latencyBucketsSeconds,
      registry,
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
    const key = `${labels.webhook}\u0000${labels.kind}\u0000${labels.operation}\u0000${labels.decision}\u0000${labels.rule}\u0000${labels.mode}`;
    const tally = this.unscraped.get(key);
    if (tally === undefined) this.unscraped.set(key, { labels, count: 1 });
    else tally.count++;
    this.duration.observe(labels.webhook, labels.kind, record.latencyMs / 1000);
  }

  /** Baseline repairs only: not the backfill's summary, nor above-ceiling reports. */
  repair(record: RepairAuditRecord): void {
    if (!isBaselineRepair(record)) return;
    this.repairs.inc({ reason: repairReason(record.trigger) });
  }
}
