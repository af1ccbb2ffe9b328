/**
 * What an attacker with network access to the port can send: bodies built to exhaust memory
 * or stack, requests that never finish, floods, smuggling attempts, and reviews that leave out
 * what a decision needs. Each gets a JSON answer or a fail-closed AdmissionResponse, one log
 * line or one audit record, and the server keeps serving.
 */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import supertest from 'supertest';
import { buildApp } from '../../src/http/app.ts';
import type { TransportLimits } from '../../src/http/limits.ts';
import type { AuditSink } from '../../src/audit/audit-log.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import { loadReview } from '../fixtures/load.ts';
import { defaultConfig, fakeCluster, recordingAudit } from '../unit/helpers.ts';

interface Harness {
  readonly server: ReturnType<typeof buildApp>;
  readonly audit: ReturnType<typeof recordingAudit>;
  readonly logLines: Record<string, unknown>[];
  readonly port: number;
}

async function listening(t: Test, limits: Partial<TransportLimits> = {}, audit: AuditSink & { records?: unknown[] } = recordingAudit()): Promise<Harness> {
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const cluster = fakeCluster({
    namespaces: { 'products-prod': { labels: { 'netpol-hygiene.io/profile': 'seed', 'netpol-hygiene.io/default-tier': 'ui' } } },
    policies: { 'products-prod': renderBaseline('products-prod', defaultConfig.profiles.seed!, defaultConfig) },
  });
  const server = buildApp({
    admission: { context: { config: defaultConfig, cluster }, audit },
    readiness: { notReadyReason: () => undefined },
    logger: pino({ level: 'info' }, sink),
    limits,
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  return { server, audit: audit as ReturnType<typeof recordingAudit>, logLines, port: (server.server.address() as AddressInfo).port };
}

/** Writes raw bytes on a fresh connection and resolves with everything the server sent until it closed. */
function raw(port: number, ...chunks: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data) => (received += data.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    for (const chunk of chunks) socket.write(chunk);
  });
}

function jsonBody(response: string): Record<string, unknown> {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

/** Polls the in-flight gate until it holds exactly `expected` (a busy machine gets 30 s), then reports it. */
async function inFlightReaches(t: Test, h: Harness, expected: { requests: number; bytes: number }, message: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (JSON.stringify(h.server.inFlight()) !== JSON.stringify(expected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(h.server.inFlight(), expected, message);
}

const rejections = (h: Harness): Record<string, unknown>[] => h.logLines.filter((l) => String(l.msg).startsWith('rejected'));

const podReview = (): ReturnType<typeof loadReview> => loadReview('pod-from-deployment');

t.test('a body built to exhaust memory or stack is refused before it is parsed', async (t) => {
  const h = await listening(t);
  const deep = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{"spec":${'['.repeat(200_000)}${']'.repeat(200_000)}}}}`;
  const deepResponse = await supertest(h.server.server).post('/validate').set('content-type', 'application/json').send(deep);
  t.equal(deepResponse.status, 400);
  t.same(deepResponse.body, { error: 'TooDeeplyNested', message: 'request body refused: JSON nesting is deeper than 100 levels; no AdmissionReview is' });

  // Past 500 KB the bytes are scanned before JSON.parse builds anything; below, the tree's depth is checked.
  const deeper = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{"spec":${'['.repeat(400_000)}${']'.repeat(400_000)}}}}`;
  const deeperResponse = await supertest(h.server.server).post('/validate').set('content-type', 'application/json').send(deeper);
  t.same([deeperResponse.status, deeperResponse.body.error], [400, 'TooDeeplyNested'], 'an 800 KB nested body, refused on its bytes');
  const wide = JSON.stringify({ ...podReview(), padding: new Array(600_000).fill([]) });
  const wideResponse = await supertest(h.server.server).post('/validate').set('content-type', 'application/json').send(wide);
  t.equal(wideResponse.status, 413);
  t.same(wideResponse.body, { error: 'TooManyValues', message: 'request body refused: JSON holds more than 500000 values; no AdmissionReview does' });

  // managedFields are skipped unparsed (src/http/managed-fields.ts) only when ordinary; nesting like this is not.
  const deepInManagedFields = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{"metadata":{"managedFields":${'['.repeat(200_000)}${']'.repeat(200_000)}}}}}`;
  const deepInManagedFieldsResponse = await supertest(h.server.server).post('/validate').set('content-type', 'application/json').send(deepInManagedFields);
  t.same([deepInManagedFieldsResponse.status, deepInManagedFieldsResponse.body.error], [400, 'TooDeeplyNested'], 'nested inside managedFields');

  t.same(
    rejections(h).map((l) => [l.msg, l.status]),
    [
      ['rejected request: TooDeeplyNested', 400],
      ['rejected request: TooDeeplyNested', 400],
      ['rejected request: TooManyValues', 413],
      ['rejected request: TooDeeplyNested', 400],
    ],
    'one log line each',
  );
  t.equal(h.audit.records.length, 0);
  await supertest(h.server.server).post('/validate').send(podReview()).expect(200);
});

t.test('prototype-poisoning keys are refused as malformed, anywhere in the review', async (t) => {
  const h = await listening(t);
  const review = JSON.stringify(podReview());
  const poisoned = {
    '__proto__ with an object': review.replace('"labels":{', '"labels":{"__proto__":{"isAdmin":true},'),
    '__proto__ with a string': review.replace('"annotations":{', '"annotations":{"__proto__":"x",'),
    'constructor.prototype': review.replace('"spec":{', '"spec":{"constructor":{"prototype":{"polluted":true}},'),
    '__proto__ spelled with JSON escapes': review.replace('"labels":{', '"labels":{"\\u005f_pr\\u006fto__":{"isAdmin":true},'),
    'constructor.prototype inside an array': review.replace('"containers":[{', '"containers":[{"constructor":{"prototype":{}},'),
    '__proto__ inside managedFields': review.replace('"managedFields":[', '"managedFields":[{"manager":"m","fieldsV1":{"__proto__":{"isAdmin":true}}},'),
    'escaped __proto__ inside managedFields': review.replace('"managedFields":[', '"managedFields":[{"manager":"m","fieldsV1":{"\\u005f_proto__":{}}},'),
    'constructor.prototype inside managedFields': review.replace('"managedFields":[', '"managedFields":[{"constructor":{"prototype":{}}},'),
    // Past 500 KB the body's shape is checked on its bytes and the keys by secure-json-parse: the same refusal.
    '__proto__ in a 600 KB review': review.replace('"annotations":{', `"annotations":{"__proto__":{"x":1},"padding":"${'x'.repeat(600_000)}",`),
  };
  for (const [name, body] of Object.entries(poisoned)) {
    t.not(body, review, `${name}: the fixture was changed`);
    const response = await supertest(h.server.server).post('/validate').set('content-type', 'application/json').send(body);
    t.equal(response.status, 400, name);
    t.same(response.body, { error: 'MalformedJSON', message: 'request body is not valid JSON: Object contains forbidden prototype property' }, name);
  }
  const harmless = review.replace('"spec":{', '"spec":{"constructor":"a string is fine",');
  t.equal((await supertest(h.server.server).post('/validate').set('content-type', 'application/json').send(harmless)).status, 200, 'a constructor key without a prototype is data');
  t.equal(h.audit.records.length, 1);
});

t.test('brackets and quotes inside strings do not count as nesting', async (t) => {
  const h = await listening(t);
  const review = podReview() as unknown as { request: { object: { metadata: { annotations: Record<string, string> } } } };
  review.request.object.metadata.annotations['note'] = `${'[{'.repeat(5_000)} \\" ]]`;
  const response = await supertest(h.server.server).post('/mutate').send(review).expect(200);
  t.equal(response.body.response.allowed, true);
});

t.test('requests beyond the in-flight limits get a fast 503 and the slot comes back', async (t) => {
  const h = await listening(t, { maxInFlightRequests: 1 });
  const body = JSON.stringify(podReview());
  // A request that declares a body and never sends it holds the only slot.
  const holder = connect(h.port, '127.0.0.1');
  holder.write(`POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n{`);
  await inFlightReaches(t, h, { requests: 1, bytes: 1 }, 'the holder has the slot');
  const refused = await supertest(h.server.server).post('/validate').send(body).set('content-type', 'application/json');
  t.equal(refused.status, 503);
  t.equal(refused.headers['retry-after'], '1');
  t.same(refused.body, { error: 'Overloaded', message: 'the webhook is at its limit (1 requests in flight); retry shortly' });
  holder.destroy();
  await inFlightReaches(t, h, { requests: 0, bytes: 0 }, 'the abandoned request gave its slot back');
  await supertest(h.server.server).post('/validate').send(body).set('content-type', 'application/json').expect(200);
});

t.test('body bytes are charged as they arrive: a declared size reserves nothing, a trickle holds only what it sent', async (t) => {
  const h = await listening(t, { maxInFlightBytes: 32 * 1024, smallBodyBytes: 16 * 1024, smallBodyReserveBytes: 16 * 1024, maxBodyBytes: 64 * 1024, bodyTimeoutMs: 60_000, idleTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
  const tooBig = await raw(h.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40000\r\n\r\n{');
  t.match(tooBig, /^HTTP\/1.1 503 /, 'more than the budget declared: refused before the body');
  t.same(jsonBody(tooBig), { error: 'Overloaded', message: 'the webhook is at its limit (32768 body bytes in flight); retry shortly' });
  // Two slow senders that declare most of the budget each, as an attacker would.
  const trickles = [connect(h.port, '127.0.0.1'), connect(h.port, '127.0.0.1')];
  for (const socket of trickles) {
    socket.on('error', () => {});
    socket.write('POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30000\r\n\r\n{"a":');
  }
  t.teardown(() => trickles.forEach((socket) => socket.destroy()));
  await inFlightReaches(t, h, { requests: 2, bytes: 10 }, 'the trickles hold only the 5 bytes each sent, not the 30,000 each declared');
  const ordinary = await supertest(h.server.server).post('/validate').send(podReview());
  t.equal(ordinary.status, 200, 'an ordinary review still fits beside them');
  t.same(h.server.inFlight(), { requests: 2, bytes: 10 }, 'and gave back all it held');
  const chunked = await raw(
    h.port,
    'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    `8000\r\n${' '.repeat(0x8000)}\r\n`,
    `8000\r\n${' '.repeat(0x8000)}\r\n0\r\n\r\n`,
  );
  t.match(chunked, /^HTTP\/1.1 503 /, 'a chunked body is refused once what it sent passes the budget');
  // A large body holding most of the budget leaves the small-body reserve to ordinary reviews.
  const large = connect(h.port, '127.0.0.1');
  large.on('error', () => {});
  t.teardown(() => large.destroy());
  large.write(`POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30000\r\n\r\n${' '.repeat(25_000)}`);
  await inFlightReaches(t, h, { requests: 3, bytes: 25_010 }, 'the large body holds the 25,000 bytes it sent, beside the trickles');
  const beside = await supertest(h.server.server).post('/validate').send(podReview());
  t.equal(beside.status, 200, 'an ordinary review still goes through the reserve');
});

t.test('a body that does not arrive within bodyTimeoutMs of its headers gets a 408', async (t) => {
  const h = await listening(t, { bodyTimeoutMs: 300 });
  const slow = await raw(h.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
  t.match(slow, /^HTTP\/1.1 408 /);
  t.same(jsonBody(slow), { error: 'BodyTimeout', message: 'the body did not arrive within 0.3s; the connection is closed' }, 'the body timeout, not the whole-request timeout');
  t.same(h.server.inFlight(), { requests: 0, bytes: 0 }, 'its share is released');
});

t.test('overlapping slow bodies each get their own timeout; one that completes in between is answered', async (t) => {
  // Long enough that all three have started before the first times out, however busy the machine.
  const h = await listening(t, { bodyTimeoutMs: 3_000 });
  const body = JSON.stringify(podReview());
  const head = `POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const first = raw(h.port, head, body.slice(0, 10));
  await inFlightReaches(t, h, { requests: 1, bytes: 10 }, 'the first body has started');
  // Started second, finished first: its clock is unlinked from between the other two.
  const middleSocket: Socket = connect(h.port, '127.0.0.1');
  const middle = new Promise<string>((resolve, reject) => {
    let received = '';
    middleSocket.on('data', (data) => (received += data.toString()));
    middleSocket.on('close', () => resolve(received));
    middleSocket.on('error', reject);
    middleSocket.write(head + body.slice(0, 10));
  });
  await inFlightReaches(t, h, { requests: 2, bytes: 20 }, 'the middle body has started');
  const last = raw(h.port, head, body.slice(0, 10));
  await inFlightReaches(t, h, { requests: 3, bytes: 30 }, 'the last body has started');
  middleSocket.write(body.slice(10));
  const [firstAnswer, middleAnswer, lastAnswer] = await Promise.all([first, middle, last]);
  t.match(middleAnswer, /^HTTP\/1.1 200 /, 'the body that arrived in time is decided');
  for (const [name, answer] of [['first', firstAnswer], ['last', lastAnswer]] as const) {
    t.match(answer, /^HTTP\/1.1 408 /, `${name}: 408`);
    t.same(jsonBody(answer), { error: 'BodyTimeout', message: 'the body did not arrive within 3s; the connection is closed' }, `${name}: why`);
  }
  t.same(h.server.inFlight(), { requests: 0, bytes: 0 }, 'every share is released');
});

t.test('a request whose headers or body never finish is cut off with a 408', async (t) => {
  // Node's own defaults are a minute and five: the test's timeout would end it long before either.
  const h = await listening(t, { headersTimeoutMs: 300, requestTimeoutMs: 600 });
  const slowHeaders = await raw(h.port, 'POST /validate HTTP/1.1\r\nHost: x\r\n');
  t.match(slowHeaders, /^HTTP\/1.1 408 Request Timeout\r\n/);
  t.same(jsonBody(slowHeaders), { error: 'RequestTimeout', message: 'the request was not received in time; the connection is closed' });
  const slowBody = await raw(h.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
  t.match(slowBody, /^HTTP\/1.1 408 Request Timeout\r\n/);
  t.equal(rejections(h).filter((l) => l.msg === 'rejected request: RequestTimeout').length, 2, 'one log line each');
});

t.test('malformed HTTP gets a JSON 400 and a log line that never carries the body', async (t) => {
  const h = await listening(t);
  const cases: { name: string; request: string; status: number; error: string }[] = [
    {
      name: 'Content-Length and Transfer-Encoding together (smuggling)',
      request: 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
      status: 400,
      error: 'MalformedHTTP',
    },
    { name: 'an unknown method', request: 'BREW /validate HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, error: 'MalformedHTTP' },
    { name: 'a bare LF request line', request: 'POST /validate HTTP/1.1\nHost: x\n\n', status: 400, error: 'MalformedHTTP' },
    { name: 'HTTP/1.1 without Host', request: 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', status: 400, error: 'MissingHost' },
    { name: 'GET on an admission route', request: 'GET /validate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: 405, error: 'MethodNotAllowed' },
    { name: 'an unknown path', request: 'POST /admit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', status: 404, error: 'NotFound' },
  ];
  for (const c of cases) {
    const before = rejections(h).length;
    const response = await raw(h.port, c.request);
    t.match(response, new RegExp(`^HTTP/1.1 ${c.status} `), `${c.name}: status`);
    t.match(response, /content-type: application\/json/i, `${c.name}: JSON`);
    t.equal(jsonBody(response).error, c.error, `${c.name}: error`);
    const logged = rejections(h).slice(before);
    t.equal(logged.length, 1, `${c.name}: one log line`);
    t.equal(logged[0]?.msg, `rejected request: ${c.error}`, `${c.name}: log message`);
  }
  t.notOk(JSON.stringify(h.logLines).includes('0\\r\\n'), 'no body in the log');
  await supertest(h.server.server).get('/healthz').expect(200);
});

t.test('incomplete reviews fail closed with what was missing, and are audited', async (t) => {
  const h = await listening(t);
  const pod = podReview();
  const namespace = loadReview('namespace-create');
  const deletion = loadReview('networkpolicy-delete');
  const cases: { name: string; path: string; request: Record<string, unknown>; message: string }[] = [
    { name: 'Pod CREATE without object', path: '/validate', request: { ...pod.request, object: null }, message: 'request.object is missing on CREATE' },
    { name: 'Pod CREATE without object (mutate)', path: '/mutate', request: { ...pod.request, object: undefined }, message: 'request.object is missing on CREATE' },
    { name: 'Namespace CREATE without object', path: '/validate', request: { ...namespace.request, object: null }, message: 'request.object is missing on CREATE' },
    { name: 'NetworkPolicy DELETE without oldObject', path: '/validate', request: { ...deletion.request, oldObject: null }, message: 'request.oldObject is missing on DELETE' },
    { name: 'Pod UPDATE without oldObject', path: '/validate', request: { ...pod.request, operation: 'UPDATE', oldObject: null }, message: 'request.oldObject is missing on UPDATE' },
    { name: 'Pod without a namespace', path: '/validate', request: { ...pod.request, namespace: undefined }, message: 'request.namespace is missing for a namespaced Pod' },
    {
      name: 'a nested generateName',
      path: '/validate',
      request: { ...pod.request, object: { ...pod.request.object, metadata: { generateName: JSON.parse(`${'['.repeat(90)}"x"${']'.repeat(90)}`) } } },
      message: 'request.object has a metadata.generateName that is not a string on CREATE',
    },
    {
      name: 'labels that are not strings',
      path: '/validate',
      request: { ...pod.request, object: { ...pod.request.object, metadata: { name: 'p', labels: { tier: ['ui'] } } } },
      message: 'request.object has metadata.labels that are not a map of strings on CREATE',
    },
    { name: 'an object of another kind', path: '/validate', request: { ...pod.request, object: namespace.request.object }, message: 'request.object is a Namespace, not a Pod on CREATE' },
    { name: 'a namespace no API server would name (path traversal)', path: '/validate', request: { ...pod.request, namespace: 'x/../kube-system' }, message: 'request.namespace is not a valid namespace name' },
    {
      name: 'a Namespace review whose name is not its object’s (borrowing kube-system’s exemption)',
      path: '/validate',
      request: { ...namespace.request, name: 'kube-system' },
      message: `request.name "kube-system" is not the name of request.object`,
    },
    { name: 'an object name no API server would accept', path: '/validate', request: { ...deletion.request, name: 'default-deny?dryRun=All' }, message: 'request.name is not a valid object name' },
  ];
  for (const c of cases) {
    const before = h.audit.records.length;
    const response = await supertest(h.server.server).post(c.path).send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: c.request }).expect(200);
    t.same(
      response.body.response,
      { uid: c.request.uid, allowed: false, status: { code: 400, reason: 'BadRequest', message: `netpol-hygiene: the AdmissionReview is incomplete, refused to stay safe: ${c.message}` } },
      c.name,
    );
    const records = h.audit.admissionRecords().slice(before);
    t.equal(records.length, 1, `${c.name}: one audit record`);
    t.match(records[0], { decision: 'denied', code: 400, uid: c.request.uid }, `${c.name}: audited as denied`);
  }
});

t.test('a sink that cannot write the audit record turns the answer into a refusal', async (t) => {
  let calls = 0;
  const failing: AuditSink = {
    write() {
      calls++;
      throw new Error('EPIPE: broken pipe');
    },
  };
  const h = await listening(t, {}, failing);
  const response = await supertest(h.server.server).post('/mutate').send(podReview()).expect(200);
  t.same(response.body.response, {
    uid: podReview().request.uid,
    allowed: false,
    status: { code: 500, reason: 'InternalError', message: 'netpol-hygiene: the audit record could not be written, refused to stay safe: EPIPE: broken pipe' },
  });
  t.equal(calls, 2, 'the refusal itself was offered to the sink');
});
