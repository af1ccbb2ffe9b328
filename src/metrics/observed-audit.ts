import type { AuditLog } from '../audit/audit-log.ts';
import type { WebhookMetrics } from './metrics.ts';

/**
 * The audit sink with metrics beside it: every admission decision and every repair already
 * passes through it exactly once, so counting here needs no hook in the handler, the applier
 * or the reconciler. A record is counted after it was written: a failed write makes the
 * handler refuse the request, and the refusal's own record is what gets counted.
 */
export function observedAudit(audit: AuditLog, metrics: Pick<WebhookMetrics, 'recorded'>): AuditLog {
  return {
    write(record) {
      audit.write(record);
      metrics.recorded(record);
    },
    flush: () => audit.flush(),
    stats: () => audit.stats(),
  };
}
