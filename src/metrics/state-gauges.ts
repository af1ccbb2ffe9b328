import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditSinkStats } from '../audit/audit-log.ts';

export interface CacheState {
  /** `namespaces` or `networkpolicies`. */
  readonly resource: string;
  readonly synced: boolean;
  /** How long the cache has been without the API server, on the cluster side's clock; 0 while its watch is open. */
  readonly staleSeconds: number;
}

export interface ReconcilerState {
  readonly queueDepth: number;
  /** Namespaces whose last convergence failed and wait for a retry. */
  readonly failingNamespaces: number;
  /** When every governed namespace was last queued for a check (start-up backfill, periodic resync, relist). */
  readonly lastFullResync: Date | undefined;
}

/**
 * What the gauges read at scrape time, never on the request path. Each source is attached
 * when the part that owns it exists (the server after it listens, the cluster side after it
 * connects); a metric whose source is absent is not exposed rather than exposed as 0.
 */
export interface StateSources {
  readonly inFlight?: () => { readonly requests: number; readonly bytes: number };
  readonly certificateNotAfter?: () => Date;
  readonly auditStats?: () => readonly AuditSinkStats[];
  readonly caches?: () => readonly CacheState[];
  readonly leader?: () => boolean;
  readonly reconciler?: () => ReconcilerState;
  /** Fed by the reconciler's NP-CEILING pass over existing policies (issue 7). */
  readonly policiesAboveCeiling?: () => number;
}

type Attach<K extends keyof StateSources> = (registry: Registry, source: NonNullable<StateSources[K]>) => void;

const seconds = (date: Date): number => date.getTime() / 1000;

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

const attachInFlight: Attach<'inFlight'> = (registry, read) => {
  gauge(registry, 'netpol_hygiene_in_flight_requests', 'Requests admitted by the in-flight gate and not yet answered.', () => read().requests);
  gauge(registry, 'netpol_hygiene_in_flight_bytes', 'Declared body bytes of the requests in flight.', () => read().bytes);
};

const attachCertificate: Attach<'certificateNotAfter'> = (registry, read) => {
  gauge(registry, 'netpol_hygiene_serving_certificate_expiry_timestamp_seconds', 'notAfter of the serving certificate in use (reloaded when its files change), as a Unix time.', () => seconds(read()));
};

const attachLeader: Attach<'leader'> = (registry, read) => {
  gauge(registry, 'netpol_hygiene_reconciler_leader', '1 while this replica holds the reconciler Lease, else 0.', () => (read() ? 1 : 0));
};

const attachCeiling: Attach<'policiesAboveCeiling'> = (registry, read) => {
  gauge(registry, 'netpol_hygiene_policies_above_ceiling', 'Existing NetworkPolicies that allow more than their profile ceiling (NP-CEILING), as the reconciler last counted them.', read);
};

const attachReconciler: Attach<'reconciler'> = (registry, read) => {
  gauge(registry, 'netpol_hygiene_reconciler_queue_depth', 'Namespaces queued for a baseline check.', () => read().queueDepth);
  gauge(registry, 'netpol_hygiene_reconciler_failing_namespaces', 'Namespaces whose last convergence failed and that wait for a retry with backoff.', () => read().failingNamespaces);
  gauge(registry, 'netpol_hygiene_reconciler_last_full_resync_timestamp_seconds', 'When every governed namespace was last queued for a check (backfill, periodic resync, relist), as a Unix time; 0 before the first (and on replicas that never led).', () => {
    const last = read().lastFullResync;
    return last === undefined ? 0 : seconds(last);
  });
};

/** A gauge by name and help, labelled by `labelNames`, that `fill` sets afresh at each scrape. */
function labelledGauge<L extends string>(registry: Registry, series: { readonly name: string; readonly help: string }, labelNames: readonly L[], fill: (gauge: Gauge<L>) => void): void {
  new Gauge({
    ...series,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill(this);
    },
  });
}

const attachCaches: Attach<'caches'> = (registry, read) => {
  labelledGauge(registry, { name: 'netpol_hygiene_cache_synced', help: '1 once the informer cache has completed its first list, else 0.' }, ['resource'], (g) => {
    for (const cache of read()) g.set({ resource: cache.resource }, cache.synced ? 1 : 0);
  });
  labelledGauge(registry, { name: 'netpol_hygiene_cache_staleness_seconds', help: 'How long the cache has been without the API server (0 while its watch is open); past 30 s it stops answering and decisions that need it fail closed.' }, ['resource'], (g) => {
    for (const cache of read()) g.set({ resource: cache.resource }, cache.staleSeconds);
  });
};

/** Cumulative writer stats as counters: set to the writer's own running total at each scrape. */
function statsCounter(registry: Registry, series: { readonly name: string; readonly help: string }, read: () => readonly AuditSinkStats[], pick: (stats: AuditSinkStats) => number): void {
  new Counter({
    ...series,
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const stats of read()) this.inc({ sink: sinkLabel(stats) }, pick(stats));
    },
  });
}

/** The file's path is configuration, not a label value: `stdout` or `file`. */
const sinkLabel = (stats: AuditSinkStats): string => (stats.sink === 'stdout' ? 'stdout' : 'file');

const attachAudit: Attach<'auditStats'> = (registry, read) => {
  labelledGauge(registry, { name: 'netpol_hygiene_audit_buffered_records', help: 'Audit records queued and not yet written, per sink.' }, ['sink'], (g) => {
    for (const stats of read()) g.set({ sink: sinkLabel(stats) }, stats.bufferedRecords);
  });
  labelledGauge(registry, { name: 'netpol_hygiene_audit_buffered_bytes', help: 'Bytes of audit records queued and not yet written, per sink.' }, ['sink'], (g) => {
    for (const stats of read()) g.set({ sink: sinkLabel(stats) }, stats.bufferedBytes);
  });
  statsCounter(registry, { name: 'netpol_hygiene_audit_records_written_total', help: 'Audit records written, per sink.' }, read, (s) => s.writtenRecords);
  statsCounter(registry, { name: 'netpol_hygiene_audit_records_dropped_total', help: 'Audit records dropped because the sink failed or took nothing for 10 s.' }, read, (s) => s.droppedRecords);
  statsCounter(registry, { name: 'netpol_hygiene_audit_full_buffer_waits_total', help: 'Times admission waited for a full audit buffer to drain.' }, read, (s) => s.fullBufferWaits);
};

const attachers: { readonly [K in keyof StateSources]-?: Attach<K> } = {
  inFlight: attachInFlight,
  certificateNotAfter: attachCertificate,
  auditStats: attachAudit,
  caches: attachCaches,
  leader: attachLeader,
  reconciler: attachReconciler,
  policiesAboveCeiling: attachCeiling,
};

/** Registers the gauges of each source given; a source given twice is an error (prom-client refuses duplicate names). */
export function attachStateGauges(registry: Registry, sources: StateSources): void {
  for (const key of Object.keys(sources) as (keyof StateSources)[]) {
    const source = sources[key];
    if (source !== undefined) (attachers[key] as Attach<typeof key>)(registry, source as never);
  }
}
