import t from 'tap';
import supertest from 'supertest';
import { pino } from 'pino';
import { buildApp } from '../../src/http/app.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import { loadReview } from '../fixtures/load.ts';
import { defaultConfig, fakeCluster, recordingAudit } from '../unit/helpers.ts';

const silent = pino({ level: 'silent' });

function app(options: { maxBodyBytes?: number; notReady?: string; throwing?: boolean } = {}) {
  const audit = recordingAudit();
  const cluster = fakeCluster({
    namespaces: { 'products-prod': { labels: { 'netpol-hygiene.io/profile': 'seed', 'netpol-hygiene.io/default-tier': 'ui' } } },
    policies: { 'products-prod': renderBaseline('products-prod', defaultConfig.profiles.seed!, defaultConfig) },
  });
  const broken = {
    namespace: () => {
      throw new TypeError('cannot read properties of undefined');
    },
    networkPolicies: () => {
      throw new TypeError('cannot read properties of undefined');
    },
  };
  const instance = buildApp({
    admission: { context: { config: defaultConfig, cluster: options.throwing === true ? broken : cluster }, audit },
    readiness: { notReadyReason: () => options.notReady },
    logger: silent,
    limits: options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes },
  });
  return { instance, audit };
}

t.test('bad input gets a status, a JSON error body, and the server keeps serving', async (t) => {
  const { instance, audit } = app({ maxBodyBytes: 64 * 1024 });
  await instance.ready();
  t.teardown(() => instance.close());
  const cases: { name: string; contentType: string; body: string; status: number; error: string; message: RegExp }[] = [
    { name: 'malformed JSON', contentType: 'application/json', body: '{"apiVersion": "admission.k8s.io/v1",', status: 400, error: 'MalformedJSON', message: /^request body is not valid JSON/ },
    { name: 'empty JSON body', contentType: 'application/json', body: '', status: 400, error: 'MalformedJSON', message: /^request body is not valid JSON/ },
    { name: 'JSON that is not an AdmissionReview', contentType: 'application/json', body: '{"kind":"Pod"}', status: 400, error: 'NotAnAdmissionReview', message: /^request body is not an admission.k8s.io\/v1 AdmissionReview: body must have required property 'apiVersion'$/ },
    {
      name: 'an AdmissionReview of v1beta1',
      contentType: 'application/json',
      body: JSON.stringify({ ...loadReview('namespace-create'), apiVersion: 'admission.k8s.io/v1beta1' }),
      status: 400,
      error: 'NotAnAdmissionReview',
      message: /body\/apiVersion must be equal to constant/,
    },
    { name: 'a review without a uid', contentType: 'application/json', body: JSON.stringify({ ...loadReview('namespace-create'), request: { ...loadReview('namespace-create').request, uid: undefined } }), status: 400, error: 'NotAnAdmissionReview', message: /must have required property 'uid'/ },
    { name: 'body over the limit', contentType: 'application/json', body: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }), status: 413, error: 'PayloadTooLarge', message: /larger than the webhook accepts/ },
    { name: 'wrong content type', contentType: 'text/plain', body: 'hello', status: 415, error: 'UnsupportedMediaType', message: /^content type must be application\/json$/ },
    { name: 'YAML content type', contentType: 'application/yaml', body: 'kind: AdmissionReview', status: 415, error: 'UnsupportedMediaType', message: /^content type must be application\/json$/ },
  ];
  for (const c of cases) {
    for (const path of ['/mutate', '/validate']) {
      const response = await supertest(instance.server).post(path).set('content-type', c.contentType).send(c.body);
      t.equal(response.status, c.status, `${c.name} on ${path}: status`);
      t.equal(response.headers['content-type'], 'application/json; charset=utf-8', `${c.name} on ${path}: JSON body`);
      t.equal(response.body.error, c.error, `${c.name} on ${path}: error`);
      t.match(response.body.message, c.message, `${c.name} on ${path}: message`);
    }
  }
  t.equal(audit.records.length, 0, 'no admission decision was recorded for a request that is not one');
  const health = await supertest(instance.server).get('/healthz');
  t.same(health.body, { status: 'ok' }, 'still serving afterwards');
});

t.test('the response echoes the request uid on both webhooks', async (t) => {
  const { instance, audit } = app();
  await instance.ready();
  t.teardown(() => instance.close());
  const review = loadReview('pod-from-deployment');
  const uid = '7c5b3c55-1b0e-4b6a-9a57-5e2b1f5d9f01';
  const body = { ...review, request: { ...review.request, uid } };
  for (const path of ['/mutate', '/validate'] as const) {
    const response = await supertest(instance.server).post(path).send(body).expect(200);
    t.equal(response.body.apiVersion, 'admission.k8s.io/v1');
    t.equal(response.body.kind, 'AdmissionReview');
    t.equal(response.body.response.uid, uid, `${path} echoes the uid`);
  }
  t.same(
    audit.admissionRecords().map((r) => [r.webhook, r.uid]),
    [
      ['mutate', uid],
      ['validate', uid],
    ],
    'one audit record per decision',
  );
});

t.test('the mutating webhook returns a base64 JSONPatch for a Deployment pod', async (t) => {
  const { instance } = app();
  await instance.ready();
  t.teardown(() => instance.close());
  const review = loadReview('pod-from-deployment');
  const response = await supertest(instance.server).post('/mutate').send(review).expect(200);
  if (response.body.response.allowed !== true || response.body.response.patchType !== 'JSONPatch') {
    t.fail(`expected a patch, got ${JSON.stringify(response.body.response)}`);
    return;
  }
  const patch = JSON.parse(Buffer.from(response.body.response.patch, 'base64').toString('utf8'));
  t.same(patch, [
    { op: 'add', path: '/metadata/labels/tier', value: 'ui' },
    { op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'namespace-default' },
  ]);
});

t.test('an internal error while deciding fails closed with 500, and the server keeps serving', async (t) => {
  const { instance, audit } = app({ throwing: true });
  await instance.ready();
  t.teardown(() => instance.close());
  const review = loadReview('pod-from-deployment');
  const response = await supertest(instance.server).post('/validate').send(review).expect(200);
  t.same(response.body.response, {
    uid: review.request.uid,
    allowed: false,
    status: {
      code: 500,
      reason: 'InternalError',
      message: 'netpol-hygiene: internal error while deciding, refused to stay safe: cannot read properties of undefined',
    },
  });
  t.equal(audit.admissionRecords()[0]?.code, 500);
  await supertest(instance.server).get('/healthz').expect(200);
});

t.test('/readyz reports why it is not ready', async (t) => {
  const notReady = app({ notReady: 'namespaces cache has not synced yet' });
  await notReady.instance.ready();
  t.teardown(() => notReady.instance.close());
  const response = await supertest(notReady.instance.server).get('/readyz').expect(503);
  t.same(response.body, { status: 'not ready', reason: 'namespaces cache has not synced yet' });
  const ready = app();
  await ready.instance.ready();
  t.teardown(() => ready.instance.close());
  t.same((await supertest(ready.instance.server).get('/readyz').expect(200)).body, { status: 'ready' });
});
