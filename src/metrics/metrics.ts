import { Counter, Registry } from 'prom-client';
import type { AuditRecord } from '../audit/audit-log.ts';
import { AdmissionSeries } from './admission-series.ts';
import { registerProcessMetrics } from './process-metrics.ts';
import { type StateSources, attachStateGauges } from './state-gauges.ts';

/** What GET /metrics answers. */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

/**
 * One registry per process, created by `serve` and handed to each part as the narrow piece it
 * needs: the audit sink records through `recorded`, the HTTP edge counts through `rejected`,
 * the cluster side attaches its state.
 */
export interface WebhookMetrics {
  /** Counts what an audit record says happened: an admission decision or a repair. */
  recorded(record: AuditRecord): void;
  /** A transport rejection, by the `error` code of its JSON body (a fixed set: MalformedJSON, Overloaded, ...). */
  rejected(reason: string): void;
  /** Exposes the gauges of these sources from now on (read at scrape time). */
  attach(sources: StateSources): void;
  exposition(): Promise<Exposition>;
}

export function createMetrics(options: { readonly processMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) registerProcessMetrics(registry);
  const admission = new AdmissionSeries(registry);
  const rejections = new Counter({
    name: 'netpol_hygiene_transport_rejections_total',
    help: 'Requests and connections refused before any rule ran (bad body, limits, timeouts, TLS, missing client certificate), by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    recorded(record) {
      if (record.event === 'admission') admission.admission(record);
      else admission.repair(record);
    },
    rejected(reason) {
      rejections.inc({ reason });
    },
    attach(sources) {
      attachStateGauges(registry, sources);
    },
    async exposition() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
