import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { createCertificateAuthority, issueCertificate } from '../../src/certs/authority.ts';
import { startServer } from '../../src/http/server.ts';
import { loadReview } from '../fixtures/load.ts';
import { defaultConfig, fakeCluster, recordingAudit } from '../unit/helpers.ts';

interface LogLine {
  readonly level: number;
  readonly msg: string;
}

function capturingLogger(): { log: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

async function servingPair(caName: string, options: { expired?: boolean } = {}) {
  const ca = await createCertificateAuthority(caName);
  const notBefore = options.expired === true ? new Date(Date.now() - 10 * 24 * 3600 * 1000) : undefined;
  const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server', days: options.expired === true ? 1 : 30, notBefore });
  return { caPem: ca.certPem, ...leaf };
}

/** Writes through a rename, as an atomic rotation would. */
function writeAtomically(path: string, contents: string): void {
  writeFileSync(`${path}.tmp`, contents);
  renameSync(`${path}.tmp`, path);
}

function get(port: number, ca: string, agent: https.Agent | false, path = '/healthz'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path, ca, agent }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function post(port: number, ca: string, path: string, payload: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(payload);
    const request = https.request({ host: '127.0.0.1', port, path, ca, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(data);
  });
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Self-heal that waits for `held` before it answers: a request held there is in flight for sure. */
function deps(log: pino.Logger, held: { entered?: () => void; until?: Promise<void> } = {}) {
  return {
    admission: {
      context: { config: defaultConfig, cluster: fakeCluster({ namespaces: { 'products-prod': { labels: { 'netpol-hygiene.io/default-tier': 'ui' } } } }) },
      audit: recordingAudit(),
      baseline: {
        async converge() {
          held.entered?.();
          await held.until;
          const policies = [{ metadata: { name: 'default-deny', namespace: 'products-prod' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] as ('Ingress' | 'Egress')[] } }];
          return { policies, changed: ['default-deny'] };
        },
      },
    },
    readiness: { notReadyReason: () => undefined },
    logger: log,
  };
}

/** A server on the first of two certificate pairs, its files polled every 50 ms. */
async function servingWithRotation(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const first = await servingPair('first-ca');
  const second = await servingPair('second-ca');
  writeFileSync(certFile, first.certPem);
  writeFileSync(keyFile, first.keyPem);
  const { log, lines } = capturingLogger();
  const server = await startServer(deps(log), { host: '127.0.0.1', port: 0, tlsCertFile: certFile, tlsKeyFile: keyFile, tlsPollIntervalMs: 50 }, log);
  t.teardown(() => server.close());
  return { certFile, keyFile, first, second, lines, server };
}

t.test('a rotated certificate is served without a restart; open connections keep working', async (t) => {
  const { certFile, keyFile, first, second, lines, server } = await servingWithRotation(t);

  const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1, ca: first.caPem });
  t.teardown(() => keepAlive.destroy());
  t.equal((await get(server.port, first.caPem, keepAlive)).status, 200, 'served with the first certificate');

  writeAtomically(keyFile, second.keyPem);
  writeAtomically(certFile, second.certPem);
  await eventually('the second certificate is served', async () => (await get(server.port, second.caPem, false)).status === 200);
  await t.rejects(get(server.port, first.caPem, false), /self-signed certificate|unable to verify|certificate/i, 'new handshakes no longer present the first certificate');
  t.equal((await get(server.port, first.caPem, keepAlive)).status, 200, 'the connection opened before the rotation still works');
  t.ok(lines.some((l) => l.msg === 'serving certificate reloaded'), 'the reload is logged');
});

t.test('a mismatched or half-written pair is refused and the previous certificate kept', async (t) => {
  const { certFile, keyFile, first, second, lines, server } = await servingWithRotation(t);

  writeAtomically(certFile, second.certPem); // the key still belongs to the first certificate
  await eventually('the refusal is logged', async () => lines.some((l) => l.msg === 'serving certificate change not applied; still serving the previous one'));
  t.equal((await get(server.port, first.caPem, false)).status, 200, 'still serving the first certificate');

  writeAtomically(certFile, 'not a certificate');
  await eventually('the second refusal is logged', async () => lines.filter((l) => l.msg.startsWith('serving certificate change not applied')).length >= 2);
  t.equal((await get(server.port, first.caPem, false)).status, 200, 'still serving after garbage');
});

t.test('an expired serving certificate is reported loudly at start-up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const expired = await servingPair('old-ca', { expired: true });
  writeFileSync(join(dir, 'tls.crt'), expired.certPem);
  writeFileSync(join(dir, 'tls.key'), expired.keyPem);
  const { log, lines } = capturingLogger();
  const server = await startServer(deps(log), { host: '127.0.0.1', port: 0, tlsCertFile: join(dir, 'tls.crt'), tlsKeyFile: join(dir, 'tls.key') }, log);
  t.teardown(() => server.close());
  const line = lines.find((l) => l.level === 50);
  t.equal(line?.msg, 'serving certificate has expired: the API server will refuse to call the webhook until it is rotated');
});

t.test('closing lets an in-flight admission request finish', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pair = await servingPair('ca');
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem);
  const { log } = capturingLogger();
  // The self-heal path holds the request until close() has started.
  let release = (): void => {};
  let entered = (): void => {};
  const selfHealing = new Promise<void>((resolve) => (entered = resolve));
  const held = { entered, until: new Promise<void>((resolve) => (release = resolve)) };
  const server = await startServer(deps(log, held), { host: '127.0.0.1', port: 0, tlsCertFile: join(dir, 'tls.crt'), tlsKeyFile: join(dir, 'tls.key') }, log);
  const review = loadReview('pod-from-deployment');
  const body = { ...review, request: { ...review.request, object: { ...review.request.object, metadata: { ...review.request.object?.metadata, labels: { tier: 'ui' } } } } };
  const inFlight = post(server.port, pair.caPem, '/validate', body);
  await selfHealing;
  const closed = server.close();
  // close() stops accepting at once; the held request is answered only after that.
  await t.rejects(get(server.port, pair.caPem, false), /ECONNREFUSED/, 'no new connections once closing');
  release();
  const response = await inFlight;
  await closed;
  t.equal(response.status, 200);
  t.equal(JSON.parse(response.body).response.allowed, true, 'the in-flight request got its answer');
});
