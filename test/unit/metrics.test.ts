import t from 'tap';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { AdmissionAuditRecord, RepairAuditRecord } from '../../src/audit/audit-log.ts';
import { repairReason } from '../../src/metrics/labels.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';

function admission(overrides: Partial<AdmissionAuditRecord>): AdmissionAuditRecord {
  return { event: 'admission', webhook: 'validate', uid: 'u', operation: 'CREATE', kind: 'Pod', groups: [], dryRun: false, mode: 'enforce', decision: 'allowed', code: 200, rules: [], latencyMs: 0.1, ...overrides };
}

function repair(trigger: string, action = 'apply-baseline'): RepairAuditRecord {
  return { event: 'repair', namespace: 'products-prod', action, policies: ['allow-dns'], trigger, message: '' };
}

async function lines(metrics: ReturnType<typeof createMetrics>, family: string): Promise<string[]> {
  const { body } = await metrics.exposition();
  return body.split('\n').filter((line) => line.startsWith(family));
}

t.test('latencies land in the buckets they belong to', async (t) => {
  const metrics = createMetrics({ processMetrics: false });
  for (const latencyMs of [0.1, 0.25, 0.3, 7, 6000]) metrics.recorded(admission({ latencyMs }));
  t.same(await lines(metrics, 'netpol_hygiene_admission_duration_seconds'), [
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.00025",webhook="validate",kind="Pod"} 2',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.0005",webhook="validate",kind="Pod"} 3',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.001",webhook="validate",kind="Pod"} 3',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.0025",webhook="validate",kind="Pod"} 3',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.005",webhook="validate",kind="Pod"} 3',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.01",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.025",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.05",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.1",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.25",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="0.5",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="1",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="2.5",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="5",webhook="validate",kind="Pod"} 4',
    'netpol_hygiene_admission_duration_seconds_bucket{le="+Inf",webhook="validate",kind="Pod"} 5',
    'netpol_hygiene_admission_duration_seconds_sum{webhook="validate",kind="Pod"} 6.00765',
    'netpol_hygiene_admission_duration_seconds_count{webhook="validate",kind="Pod"} 5',
  ]);
});

t.test('label values come from bounded sets: a hostile kind or operation is "other"', async (t) => {
  const metrics = createMetrics({ processMetrics: false });
  metrics.recorded(admission({ kind: 'Secret-x'.repeat(50), operation: 'PATCH', namespace: 'ns-1', user: 'mallory' }));
  metrics.recorded(admission({ decision: 'denied', rules: ['POD-TIER', 'POD-PROTECTED'], mode: 'warn' }));
  t.same(await lines(metrics, 'netpol_hygiene_admission_requests_total{'), [
    'netpol_hygiene_admission_requests_total{webhook="validate",kind="other",operation="other",decision="allowed",rule="none",mode="enforce"} 1',
    'netpol_hygiene_admission_requests_total{webhook="validate",kind="Pod",operation="CREATE",decision="denied",rule="POD-TIER,POD-PROTECTED",mode="warn"} 1',
  ]);
});

t.test('repairs are counted by a reason classified from their trigger; the backfill summary is not a repair', async (t) => {
  const cases: [string, string][] = [
    ['pod admission 3f2a-uid', 'pod-admission'],
    ['namespace created', 'namespace-created'],
    ['namespace labels changed', 'namespace-labels-changed'],
    ['managed policy "allow-dns" was deleted', 'policy-deleted'],
    ['managed policy "allow-dns" was changed (retry 2)', 'policy-changed'],
    ['periodic resync', 'periodic-resync'],
    ['network policies relisted', 'relist'],
    ['start-up backfill (retry 1)', 'backfill'],
    ['something new', 'other'],
  ];
  for (const [trigger, reason] of cases) t.equal(repairReason(trigger), reason, trigger);
  const metrics = createMetrics({ processMetrics: false });
  metrics.recorded(repair('managed policy "a" was deleted'));
  metrics.recorded(repair('managed policy "b" was deleted'));
  metrics.recorded(repair('pod admission 1'));
  metrics.recorded({ ...repair('start-up', 'backfill'), namespace: '*' });
  t.same(await lines(metrics, 'netpol_hygiene_repairs_total{'), ['netpol_hygiene_repairs_total{reason="policy-deleted"} 2', 'netpol_hygiene_repairs_total{reason="pod-admission"} 1']);
});

t.test('state is read at scrape time from the sources attached', async (t) => {
  const metrics = createMetrics({ processMetrics: false });
  const reconciler = { queueDepth: 4, failingNamespaces: 1, lastFullResync: undefined as Date | undefined };
  let leading = false;
  metrics.attach({
    certificateNotAfter: () => new Date('2027-01-02T03:04:05Z'),
    leader: () => leading,
    reconciler: () => reconciler,
    policiesAboveCeiling: () => 7,
    caches: () => [
      { resource: 'namespaces', synced: true, staleSeconds: 0 },
      { resource: 'networkpolicies', synced: false, staleSeconds: 12.5 },
    ],
  });
  const { body: first } = await metrics.exposition();
  t.match(first, /^netpol_hygiene_serving_certificate_expiry_timestamp_seconds 1798859045$/m);
  t.match(first, /^netpol_hygiene_reconciler_leader 0$/m);
  t.match(first, /^netpol_hygiene_reconciler_queue_depth 4$/m);
  t.match(first, /^netpol_hygiene_reconciler_failing_namespaces 1$/m);
  t.match(first, /^netpol_hygiene_reconciler_last_full_resync_timestamp_seconds 0$/m, '0 before the first resync');
  t.match(first, /^netpol_hygiene_policies_above_ceiling 7$/m);
  t.match(first, /^netpol_hygiene_cache_synced\{resource="namespaces"\} 1$/m);
  t.match(first, /^netpol_hygiene_cache_synced\{resource="networkpolicies"\} 0$/m);
  t.match(first, /^netpol_hygiene_cache_staleness_seconds\{resource="namespaces"\} 0$/m);
  t.match(first, /^netpol_hygiene_cache_staleness_seconds\{resource="networkpolicies"\} 12.5$/m, 'as the cache counts it on its clock');
  leading = true;
  reconciler.lastFullResync = new Date('2026-11-30T12:00:00Z');
  const { body: second } = await metrics.exposition();
  t.match(second, /^netpol_hygiene_reconciler_leader 1$/m);
  t.match(second, /^netpol_hygiene_reconciler_last_full_resync_timestamp_seconds 1796040000$/m);
});

t.test('audit writer totals are counters per sink; a file sink is labelled "file", not by its path', async (t) => {
  const metrics = createMetrics({ processMetrics: false });
  let written = 10;
  metrics.attach({
    auditStats: () => [
      { sink: 'stdout', bufferedBytes: 0, bufferedRecords: 0, writtenRecords: written, droppedRecords: 0, fullBufferWaits: 0 },
      { sink: '/var/log/netpol-hygiene/audit.log', bufferedBytes: 100, bufferedRecords: 1, writtenRecords: 9, droppedRecords: 2, fullBufferWaits: 5 },
    ],
  });
  written = 25;
  t.same(await lines(metrics, 'netpol_hygiene_audit_records_written_total{'), ['netpol_hygiene_audit_records_written_total{sink="stdout"} 25', 'netpol_hygiene_audit_records_written_total{sink="file"} 9']);
  t.same(await lines(metrics, 'netpol_hygiene_audit_records_dropped_total{'), ['netpol_hygiene_audit_records_dropped_total{sink="stdout"} 0', 'netpol_hygiene_audit_records_dropped_total{sink="file"} 2']);
  t.same(await lines(metrics, 'netpol_hygiene_audit_buffered_bytes{'), ['netpol_hygiene_audit_buffered_bytes{sink="stdout"} 0', 'netpol_hygiene_audit_buffered_bytes{sink="file"} 100']);
});

t.test("the process metrics are prom-client's defaults without its GC histogram, which allocates per collection", async (t) => {
  const families = (exposition: string): string[] => [...exposition.matchAll(/^# TYPE ((?:process|nodejs)_\S+) (\S+)$/gm)].map(([, name, type]) => `${name} ${type}`);
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const ours = families((await createMetrics().exposition()).body);
  t.same(ours, families(await defaults.metrics()).filter((family) => family !== 'nodejs_gc_duration_seconds histogram'), 'every other default, in the same order');
  t.ok(ours.includes('process_resident_memory_bytes gauge') && ours.includes('nodejs_eventloop_lag_seconds gauge'), 'memory and event-loop lag are there');
  t.notOk(ours.some((family) => family.startsWith('nodejs_gc_')), 'no GC histogram');
  t.same(families((await createMetrics({ processMetrics: false }).exposition()).body), [], 'none when turned off');
});
