/**
 * Answers a client can act on, whatever the server's load: a request that can never be
 * accepted is refused as such (413), and a valid review is never called malformed because the
 * server was too busy to finish its TLS handshake in time.
 */
import { execFile } from 'node:child_process';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { createCertificateAuthority, issueCertificate } from '../../src/certs/authority.ts';
import { buildApp } from '../../src/http/app.ts';
import type { TransportLimits } from '../../src/http/limits.ts';
import { defaultConfig, fakeCluster, recordingAudit } from '../unit/helpers.ts';
import type { BurstOutcome } from './tls-burst-client.ts';

interface Served {
  readonly app: ReturnType<typeof buildApp>;
  readonly port: number;
  readonly caPem: string;
  readonly logLines: { msg: string; code?: string }[];
  readonly rejected: string[];
}

async function serving(t: Test, limits: Partial<TransportLimits> = {}, tls = true): Promise<Served> {
  const ca = await createCertificateAuthority('burst-ca');
  const leaf = await issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const logLines: Served['logLines'] = [];
  const rejected: string[] = [];
  const app = buildApp({
    admission: { context: { config: defaultConfig, cluster: fakeCluster({}) }, audit: recordingAudit() },
    readiness: { notReadyReason: () => undefined },
    logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Served['logLines'][number]) }),
    metrics: { rejected: (reason) => void rejected.push(reason), exposition: async () => ({ contentType: 'text/plain', body: '' }) },
    limits,
    ...(tls ? { https: { cert: leaf.certPem, key: leaf.keyPem } } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return { app, port: (app.server.address() as AddressInfo).port, caPem: ca.certPem, logLines, rejected };
}

/** Runs the burst client in its own process (its own event loop, as the API server has). */
function burst(served: Served, count: number): Promise<BurstOutcome[]> {
  return new Promise((resolve, reject) => {
    const client = execFile(process.execPath, [fileURLToPath(new URL('./tls-burst-client.ts', import.meta.url)), String(served.port), String(count)], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error !== null) return reject(error);
      resolve(JSON.parse(stdout) as BurstOutcome[]);
    });
    client.stdin?.end(served.caPem);
  });
}

/** Everything the server sends on a plain connection until it closes it. */
function rawExchange(port: number, request: string, keepOpen?: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data) => (received += data.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(request);
    keepOpen?.(socket);
  });
}

// A thousand handshakes on a busy 2-core host take a while; the runner's 30 s default is for ordinary files.
t.setTimeout(600_000);

const statusLine = (response: string): string => response.split('\r\n')[0] ?? '';
const jsonBody = (response: string): unknown => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
const payloadTooLarge = { error: 'PayloadTooLarge', message: 'request body is larger than the webhook accepts (--max-body-bytes)' };

t.test('a Content-Length over the body limit is refused with 413 at once, whatever the in-flight budget', async (t) => {
  const served = await serving(t, {}, false);
  const huge = await rawExchange(served.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{');
  t.equal(statusLine(huge), 'HTTP/1.1 413 Payload Too Large', 'over every in-flight byte budget too, yet not a 503 that asks for a retry');
  t.same(jsonBody(huge), payloadTooLarge);

  // With every in-flight slot taken, a request that could fit waits its turn (503), one that never can is still a 413.
  const full = await serving(t, { maxInFlightRequests: 1 }, false);
  let holder: Socket | undefined;
  const held = rawExchange(full.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{', (socket) => (holder = socket));
  await t.resolveMatch(waitFor(() => full.app.inFlight().requests === 1), true, 'a request holds the only slot');
  const whileFull = await rawExchange(full.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{');
  t.equal(statusLine(whileFull), 'HTTP/1.1 413 Payload Too Large');
  const fits = await rawExchange(full.port, 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
  t.equal(statusLine(fits), 'HTTP/1.1 503 Service Unavailable', 'a request that would fit is told to retry');
  holder?.destroy();
  await held;
});

t.test('a handshake that the server itself was too busy to finish in time is served, not answered as malformed HTTP', async (t) => {
  const served = await serving(t, { handshakeTimeoutMs: 500 });
  // Block the server's event loop past the handshake timeout right after it accepts the
  // connection, as a burst of handshakes on a busy host does: the client's ClientHello waits in
  // the kernel while the timer expires.
  served.app.server.once('connection', () => {
    const until = performance.now() + 1_500;
    while (performance.now() < until);
  });
  const [outcome] = await burst(served, 1);
  t.same(outcome, { status: 200, detail: 'burst-0' });
  t.same(served.rejected, [], 'nothing counted as rejected');
  t.same(served.logLines.filter((l) => l.msg.startsWith('rejected')), [], 'nothing logged as rejected');
});

t.test('a peer that never finishes its handshake is closed without an HTTP answer, logged and counted', async (t) => {
  const served = await serving(t, { handshakeTimeoutMs: 200 });
  const sent = await rawExchange(served.port, '');
  t.equal(sent, '', 'no bytes at all: there was no HTTP request to answer');
  await t.resolveMatch(waitFor(() => served.rejected.length > 0), true);
  t.same(served.rejected, ['TLSHandshakeTimeout']);
  t.match(served.logLines.filter((l) => l.msg.startsWith('rejected')), [{ msg: 'rejected connection: TLS handshake did not finish in time', code: 'ERR_TLS_HANDSHAKE_TIMEOUT' }]);
});

t.test('1,000 TLS connections opened at once, each with a valid review: none is answered 400', async (t) => {
  const served = await serving(t);
  const outcomes = await burst(served, 1_000);
  const answered = outcomes.filter((o) => o.status === 200);
  const closed = outcomes.filter((o) => o.status === 0);
  t.same(outcomes.filter((o) => o.status !== 200 && o.status !== 0), [], 'every connection is served, or closed without an HTTP answer (past twice the handshake timeout)');
  t.same(outcomes.flatMap((o, i) => (o.status === 200 && o.detail !== `burst-${i}` ? [o.detail] : [])), [], 'each answer carries its own review\'s uid');
  t.comment(`answered ${answered.length}, closed ${closed.length}, handshake timeouts counted ${served.rejected.filter((r) => r === 'TLSHandshakeTimeout').length}`);
});

/** Polls a condition (no fixed sleep); resolves true once it holds. */
async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
