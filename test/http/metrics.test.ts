/**
 * GET /metrics as Prometheus scrapes it: the real app and the real registry, after real
 * admissions and transport rejections through HTTP; counters must say exactly what happened.
 */
import t from 'tap';
import supertest from 'supertest';
import { pino } from 'pino';
import type { AuditLog } from '../../src/audit/audit-log.ts';
import { buildApp } from '../../src/http/app.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { observedAudit } from '../../src/metrics/observed-audit.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import { loadReview } from '../fixtures/load.ts';
import { defaultConfig, fakeCluster, recordingAudit } from '../unit/helpers.ts';

const silent = pino({ level: 'silent' });

function webhook(): { instance: ReturnType<typeof buildApp>; metrics: ReturnType<typeof createMetrics> } {
  const recording = recordingAudit();
  const sink: AuditLog = {
    write: (record) => recording.write(record),
    flush() {},
    stats: () => [{ sink: 'stdout', bufferedBytes: 512, bufferedRecords: 2, writtenRecords: 40, droppedRecords: 1, fullBufferWaits: 3 }],
  };
  const metrics = createMetrics();
  const cluster = fakeCluster({
    namespaces: { 'products-prod': { labels: { 'netpol-hygiene.io/profile': 'seed', 'netpol-hygiene.io/default-tier': 'ui' } } },
    policies: { 'products-prod': renderBaseline('products-prod', defaultConfig.profiles.seed!, defaultConfig) },
  });
  const audit = observedAudit(sink, metrics);
  const instance = buildApp({ admission: { context: { config: defaultConfig, cluster }, audit }, readiness: { notReadyReason: () => undefined }, logger: silent, metrics });
  metrics.attach({ auditStats: () => audit.stats(), inFlight: () => instance.inFlight() });
  return { instance, metrics };
}

/** The lines of one metric family (samples only), in exposition order. */
function samples(text: string, family: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${family}{`) || line.startsWith(`${family} `) || line.startsWith(`${family}_`));
}

t.test('after admissions and rejections, /metrics counts exactly what happened', async (t) => {
  const { instance } = webhook();
  await instance.ready();
  t.teardown(() => instance.close());
  const http = supertest(instance.server);
  for (const path of ['/mutate', '/validate']) await http.post(path).send(loadReview('namespace-create')).expect(200);
  for (let i = 0; i < 3; i++) await http.post('/mutate').send(loadReview('pod-from-deployment')).expect(200);
  await http.post('/validate').send(loadReview('networkpolicy-delete')).expect(200);
  await http.post('/validate').set('content-type', 'application/json').send('{"apiVersion":').expect(400);
  await http.post('/validate').set('content-type', 'text/plain').send('hello').expect(415);
  await http.get('/nowhere').expect(404);

  const response = await http.get('/metrics').expect(200);
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const text = response.text;
  t.same(samples(text, 'netpol_hygiene_admission_requests_total'), [
    'netpol_hygiene_admission_requests_total{webhook="mutate",kind="Namespace",operation="CREATE",decision="patched",rule="NS-DEFAULT-DENY",mode="enforce"} 1',
    // The validating webhook sees the namespace as sent, without the mutating webhook's labels.
    'netpol_hygiene_admission_requests_total{webhook="validate",kind="Namespace",operation="CREATE",decision="denied",rule="NS-DEFAULT-DENY",mode="enforce"} 1',
    'netpol_hygiene_admission_requests_total{webhook="mutate",kind="Pod",operation="CREATE",decision="patched",rule="POD-TIER",mode="enforce"} 3',
    'netpol_hygiene_admission_requests_total{webhook="validate",kind="NetworkPolicy",operation="DELETE",decision="denied",rule="NP-GUARD",mode="enforce"} 1',
  ]);
  t.same(samples(text, 'netpol_hygiene_transport_rejections_total'), [
    'netpol_hygiene_transport_rejections_total{reason="MalformedJSON"} 1',
    'netpol_hygiene_transport_rejections_total{reason="UnsupportedMediaType"} 1',
    'netpol_hygiene_transport_rejections_total{reason="NotFound"} 1',
  ]);
  const podBuckets = samples(text, 'netpol_hygiene_admission_duration_seconds').filter((line) => line.includes('kind="Pod"'));
  t.same(
    podBuckets.filter((line) => line.includes('_bucket')).map((line) => /le="([^"]+)"/.exec(line)?.[1]),
    ['0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'],
    'buckets from 0.25 ms to 5 s',
  );
  t.ok(podBuckets.includes('netpol_hygiene_admission_duration_seconds_bucket{le="+Inf",webhook="mutate",kind="Pod"} 3'));
  t.ok(podBuckets.includes('netpol_hygiene_admission_duration_seconds_count{webhook="mutate",kind="Pod"} 3'));
  t.same(samples(text, 'netpol_hygiene_audit_records_dropped_total'), ['netpol_hygiene_audit_records_dropped_total{sink="stdout"} 1']);
  t.same(samples(text, 'netpol_hygiene_audit_buffered_records'), ['netpol_hygiene_audit_buffered_records{sink="stdout"} 2']);
  t.same(samples(text, 'netpol_hygiene_in_flight_requests'), ['netpol_hygiene_in_flight_requests 1'], 'the scrape itself is in flight');
  t.same(samples(text, 'netpol_hygiene_serving_certificate_expiry_timestamp_seconds'), [], 'no source attached, no series (not a misleading 0)');
  t.match(text, /^process_cpu_user_seconds_total \d/m, 'process metrics');
  t.match(text, /^# TYPE netpol_hygiene_admission_requests_total counter$/m);
});

t.test('without metrics there is no /metrics route', async (t) => {
  const instance = buildApp({ admission: { context: { config: defaultConfig, cluster: fakeCluster() }, audit: recordingAudit() }, readiness: { notReadyReason: () => undefined }, logger: silent });
  await instance.ready();
  t.teardown(() => instance.close());
  await supertest(instance.server).get('/metrics').expect(404);
});
