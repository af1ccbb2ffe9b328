/**
 * The two load generators and what they report.
 *
 * - pacedLoad: open loop at a fixed rate, for the "sustained 2,000 req/s" targets. Requests
 *   are released on a 1 ms timer (so in pairs at 2,000 req/s) whether or not earlier ones
 *   have come back, over `connections` keep-alive TLS connections; a request released while
 *   all are busy waits for one, and that wait counts in its latency.
 * - cannonLoad: autocannon, closed loop (each connection sends its next request when the last
 *   one is answered), for peak throughput and warm-up.
 *
 * Why not autocannon's `overallRate` for the fixed rate: autocannon gives each connection a
 * quota per wall-clock second and sends it back to back as fast as the server answers, then
 * idles until the next second. At 2,000 req/s that is a square wave of full-speed bursts with
 * `connections` requests in flight, so its latencies are those of a saturated server, not of
 * one serving 2,000 req/s. run.ts keeps it available (--rate-driver autocannon) to compare.
 *
 * Latencies are recorded here as floats from each response event: autocannon's own histogram
 * truncates to whole milliseconds, too coarse for a 1 ms target.
 */
import { Agent, request } from 'node:https';
import { type TLSSocket, connect } from 'node:tls';
import autocannon, { type AutocannonOptions } from 'autocannon';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p97_5: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
}

export interface LoadResult {
  /** 2xx responses whose AdmissionReview allowed the request. */
  readonly ok: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  /** 2xx responses that did not say `"allowed":true`. */
  readonly mismatches: number;
  readonly seconds: number;
  /** Milliseconds, every response. */
  readonly latency: LatencySummary;
  /** Paced only: how late requests left against their schedule (generator health), ms. */
  readonly sendLagP99?: number;
}

export function requestsPerSecond(result: LoadResult): number {
  return result.seconds > 0 ? result.ok / result.seconds : 0;
}

export function failures(result: LoadResult): number {
  return result.errors + result.non2xx + result.mismatches;
}

/** The cheap check every response gets: the review came back allowing the pod. */
export function allowsRequest(body: string): boolean {
  return body.includes('"allowed":true');
}

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const at = (p: number): number => (sorted.length === 0 ? Number.NaN : (sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number));
  return { count: sorted.length, p50: at(50), p97_5: at(97.5), p99: at(99), p99_9: at(99.9), max: at(100) };
}

export interface PostTarget {
  readonly port: number;
  readonly path: string;
  readonly agent: Agent;
}

/** One POST with node:https, resolving with the status and the whole body. */
export function post(target: PostTarget, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.path,
        method: 'POST',
        agent: target.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.end(body);
  });
}

export interface PacedOptions {
  readonly port: number;
  readonly path: string;
  /** The CA that signed the server certificate: the paced client verifies it. */
  readonly ca: string;
  /** A fresh body per request (its own uid). */
  readonly body: () => string;
  readonly rate: number;
  readonly connections: number;
  readonly seconds: number;
  /** Every answered request's release time and latency (performance.now() ms), for diagnosis. */
  readonly onSample?: (sentAt: number, latencyMs: number) => void;
}

type OnResponse = (error: Error | undefined, status: number, body: string) => void;

/**
 * The least HTTP/1.1 client that will do: one TLS connection, one request at a time, responses
 * framed by Content-Length (fastify always sends it). node:https costs ~170 µs of CPU per
 * request here, enough to add jitter to sub-millisecond latencies; this costs a fraction.
 *
 * A connection the server closed while it sat idle (its keep-alive timeout is 5 s, and a
 * paced run can leave a connection unused that long) is opened again on the next request, as
 * a real client's pool does; writing into the closed socket would lose the request silently.
 */
class Connection {
  private socket: TLSSocket;
  private pending: Buffer = Buffer.alloc(0);
  private waiting: OnResponse | undefined;
  private readonly port: number;
  private readonly ca: string;

  constructor(port: number, ca: string) {
    this.port = port;
    this.ca = ca;
    this.socket = this.open();
  }

  private open(): TLSSocket {
    const socket = connect({ host: '127.0.0.1', port: this.port, ca: this.ca });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    // Only the current socket's end fails the request in flight.
    socket.on('error', (error) => {
      if (socket === this.socket) this.fail(error);
    });
    socket.on('close', () => {
      if (socket === this.socket) this.fail(new Error('connection closed'));
    });
    return socket;
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('secureConnect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  send(request: string, onResponse: OnResponse): void {
    if (this.socket.destroyed) {
      this.pending = Buffer.alloc(0);
      this.socket = this.open();
    }
    this.waiting = onResponse;
    this.socket.write(request);
  }

  close(): void {
    this.waiting = undefined;
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const headEnd = this.pending.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.pending.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length === null) return this.fail(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
    const end = headEnd + 4 + Number(length[1]);
    if (this.pending.length < end) return;
    const body = this.pending.toString('utf8', headEnd + 4, end);
    this.pending = this.pending.subarray(end);
    const done = this.waiting;
    this.waiting = undefined;
    done?.(undefined, Number(head.slice(9, 12)), body);
  }

  private fail(error: Error): void {
    const done = this.waiting;
    this.waiting = undefined;
    done?.(error, 0, '');
  }
}

export async function pacedLoad(options: PacedOptions): Promise<LoadResult> {
  const request = (): string => {
    const body = options.body();
    return `POST ${options.path} HTTP/1.1\r\nhost: 127.0.0.1:${options.port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
  // Every connection open and used once before the clock starts: TLS handshakes and the
  // server's per-connection set-up are not steady state.
  const connections = Array.from({ length: options.connections }, () => new Connection(options.port, options.ca));
  await Promise.all(connections.map((c) => c.opened()));
  await Promise.all(connections.map((c) => new Promise<void>((resolve, reject) => c.send(request(), (error) => (error === undefined ? resolve() : reject(error))))));
  const idle = [...connections];
  /** Requests released while every connection was busy, with the time they were released. */
  const queue: { request: string; sentAt: number }[] = [];

  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  const lags = new Float64Array(total);
  let ok = 0;
  let errors = 0;
  let non2xx = 0;
  let mismatches = 0;
  let lastAnswer = 0;
  const start = performance.now();

  await new Promise<void>((resolve) => {
    let fired = 0;
    let settled = 0;
    const dispatch = (connection: Connection, next: { request: string; sentAt: number }): void => {
      connection.send(next.request, (error, status, body) => {
        lastAnswer = performance.now();
        if (error !== undefined) errors++;
        else {
          // From the moment the request was released, so time waiting for a free connection
          // counts, but this process's timer jitter does not.
          latencies.push(lastAnswer - next.sentAt);
          options.onSample?.(next.sentAt, lastAnswer - next.sentAt);
          if (status < 200 || status > 299) non2xx++;
          else if (!allowsRequest(body)) mismatches++;
          else ok++;
        }
        const queued = queue.shift();
        if (queued !== undefined) dispatch(connection, queued);
        else idle.push(connection);
        if (++settled === total) resolve();
      });
    };
    const fire = (index: number): void => {
      const sentAt = performance.now();
      lags[index] = sentAt - (start + index * intervalMs);
      const next = { request: request(), sentAt };
      const connection = idle.pop();
      if (connection === undefined) queue.push(next);
      else dispatch(connection, next);
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (fired < due) fire(fired++);
      if (fired < total) setTimeout(tick, 1);
    };
    tick();
  });
  for (const connection of connections) connection.close();
  return {
    ok,
    errors,
    non2xx,
    mismatches,
    // Until the last answer: a server that falls behind stretches the run and lowers the rate.
    seconds: (Math.max(lastAnswer, start + total * intervalMs) - start) / 1000,
    latency: summarize(latencies),
    sendLagP99: summarize(lags).p99,
  };
}

/** autocannon with every response's latency kept as a float and its body checked. */
export async function cannonLoad(options: AutocannonOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({ ...options, verifyBody: allowsRequest });
  instance.on('response', (_client, _status, _bytes, ms) => {
    latencies.push(ms);
  });
  const result = await instance;
  return {
    ok: result['2xx'] - result.mismatches,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    seconds: result.duration,
    latency: summarize(latencies),
  };
}
