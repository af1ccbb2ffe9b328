import type { IncomingMessage } from 'node:http';
import { type FastifyInstance, type FastifyReply, type FastifyRequest, errorCodes } from 'fastify';
import { RequestRefusedError } from './errors.ts';
import type { TransportLimits } from './limits.ts';

type GateLimits = Pick<TransportLimits, 'maxInFlightRequests' | 'maxInFlightBytes' | 'smallBodyBytes' | 'smallBodyReserveBytes' | 'maxBodyBytes' | 'bodyTimeoutMs'>;

export interface InFlight {
  readonly requests: number;
  readonly bytes: number;
}

interface Counters {
  requests: number;
  bytes: number;
}

/** Reads a request's body within the gate's budget; `done` gets the whole body or why it was refused. */
export type BodyReader = (request: FastifyRequest, payload: IncomingMessage, done: (body: Buffer | Error) => void) => void;

export interface InFlightGate {
  readonly inFlight: () => InFlight;
  /** For the JSON content-type parser: the only reader of admission bodies. */
  readonly readBody: BodyReader;
}

/**
 * Bounds what requests in flight may hold. Requests are counted from their headers; body
 * bytes are charged as they arrive, not as declared, so a client that declares megabytes and
 * trickles bytes holds only what it sent. A request whose bytes would pass the budget, or that
 * declares more than is left of it, is refused with 503 at once; a body that has not arrived
 * within bodyTimeoutMs of its headers gets 408. Each request's share is released when its
 * response closes, whether it finished or the peer went away.
 *
 * The body is read here, straight from the request, rather than through a metering stream
 * piped in front of fastify's reader: a stream per request (two stream states, pipe
 * listeners) cost ~15 µs and, living across young-generation collections, was promoted to
 * the old generation by the thousand, which set off a ~20 ms major GC every 2–3 s at 2,000
 * requests/s (`npm run bench`, `--trace-gc`).
 */
export function registerInFlightGate(app: FastifyInstance, limits: GateLimits): InFlightGate {
  const counters: Counters = { requests: 0, bytes: 0 };
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const declared = declaredBytes(request);
    // Never to be accepted, so not a matter of load: 413 now, not a 503 that asks for a retry.
    if (declared > limits.maxBodyBytes) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    const budget = budgetFor(declared, limits);
    const reason = refusal(counters, declared, budget, limits);
    // Answered by the app's error handler, as every transport rejection is: 503, logged, counted.
    if (reason !== undefined) return done(new RequestRefusedError('NH_OVERLOADED', reason));
    counters.requests++;
    const charge: Charge = { bytes: 0, budget };
    reply.raw.once('close', () => {
      counters.requests--;
      counters.bytes -= charge.bytes;
    });
    (request as ChargedRequest).bodyCharge = charge;
    done();
  });
  const clocks = bodyClocks(limits.bodyTimeoutMs);
  app.addHook('onClose', (_instance, done) => {
    clocks.stop();
    done();
  });
  const readBody: BodyReader = (request, payload, done) => {
    const charge = (request as ChargedRequest).bodyCharge ?? { bytes: 0, budget: limits.maxInFlightBytes };
    readCharged({ payload, declared: Number(request.headers['content-length']), counters, charge, limits, clocks }, done);
  };
  return { inFlight: () => ({ ...counters }), readBody };
}

/** Bodies still arriving, each with what to do when its time is up. */
interface BodyClocks {
  start(expire: () => void): Clock;
  cancel(clock: Clock): void;
  stop(): void;
}

/** One body's deadline, linked in the order the bodies started, which is the order they expire in. */
interface Clock {
  readonly at: number;
  readonly expire: () => void;
  previous: Clock | undefined;
  next: Clock | undefined;
  running: boolean;
}

/**
 * One sweep for every body in flight, rather than a timer each: a timer per request costs an
 * allocation and, whenever the webhook is idle between requests, Node's timer-list and
 * ref-count bookkeeping (two calls into C++). Every body has the same timeout, so a list in
 * start order is also in deadline order: the sweep stops at the first body still in time, and
 * a body's clock is unlinked in constant time when it arrives. A list and not a Map: a Map
 * emptied and refilled on every request reallocates its table, and those tables outlived
 * young-generation collections and were promoted (heap sampling of what only major GCs freed).
 * The sweep runs a few times per timeout, so a body gets between 1 and 1.25 × bodyTimeoutMs;
 * it never keeps the process alive.
 */
function bodyClocks(timeoutMs: number): BodyClocks {
  const list: { first: Clock | undefined; last: Clock | undefined } = { first: undefined, last: undefined };
  const unlink = (clock: Clock): void => {
    if (!clock.running) return;
    clock.running = false;
    if (clock.previous === undefined) list.first = clock.next;
    else clock.previous.next = clock.next;
    if (clock.next === undefined) list.last = clock.previous;
    else clock.next.previous = clock.previous;
    clock.previous = undefined;
    clock.next = undefined;
  };
  const sweep = setInterval(
    () => {
      const now = performance.now();
      while (list.first !== undefined && list.first.at <= now) {
        const expired = list.first;
        unlink(expired);
        expired.expire();
      }
    },
    Math.max(10, Math.min(250, timeoutMs / 4)),
  ).unref();
  return {
    start(expire) {
      const clock: Clock = { at: performance.now() + timeoutMs, expire, previous: list.last, next: undefined, running: true };
      if (list.last === undefined) list.first = clock;
      else list.last.next = clock;
      list.last = clock;
      return clock;
    },
    cancel: unlink,
    stop: () => clearInterval(sweep),
  };
}

type ChargedRequest = FastifyRequest & { bodyCharge?: Charge };

/** What one request's body bytes are held to: this request's bytes and everyone's must fit under it. */
interface Charge {
  bytes: number;
  readonly budget: number;
}

interface BodyRead {
  readonly payload: IncomingMessage;
  /** Content-Length, NaN for a chunked body. */
  readonly declared: number;
  readonly counters: Counters;
  readonly charge: Charge;
  readonly limits: GateLimits;
  readonly clocks: BodyClocks;
}

/**
 * The body as it arrives, each chunk charged to the budget before it is kept, on a clock.
 * Refusals mirror fastify's own reader (413 past the body limit, 400 when the length is not
 * the one declared); a refused body is left unread and its connection closed by the answer.
 */
function readCharged({ payload, declared, counters, charge, limits, clocks }: BodyRead, done: (body: Buffer | Error) => void): void {
  if (declared > limits.maxBodyBytes) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (result: Buffer | Error): void => {
    clocks.cancel(clock);
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', finish);
    payload.removeListener('close', onClose);
    done(result);
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limits.maxBodyBytes) return finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    if (counters.bytes + chunk.length > charge.budget) return finish(new RequestRefusedError('NH_OVERLOADED', `${charge.budget} body bytes in flight`));
    counters.bytes += chunk.length;
    charge.bytes += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (!Number.isNaN(declared) && received !== declared) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    finish(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
  };
  // The peer went away mid-body: nobody is left to answer, but the reader must stop and the clock too.
  const onClose = (): void => finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
  const clock = clocks.start(() => finish(new RequestRefusedError('NH_BODY_TIMEOUT', `the body did not arrive within ${limits.bodyTimeoutMs / 1000}s`)));
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', finish);
  payload.on('close', onClose);
}

/** Small bodies may also use the reserve, so a flood of large ones never starves ordinary reviews. */
function budgetFor(declared: number, limits: GateLimits): number {
  const small = declared > 0 && declared <= limits.smallBodyBytes;
  return small ? limits.maxInFlightBytes + limits.smallBodyReserveBytes : limits.maxInFlightBytes;
}

function refusal(counters: Counters, declared: number, budget: number, limits: GateLimits): string | undefined {
  if (counters.requests >= limits.maxInFlightRequests) return `${limits.maxInFlightRequests} requests in flight`;
  if (counters.bytes + declared > budget) return `${budget} body bytes in flight`;
  return undefined;
}

/** Bytes the request says it will send; a chunked body says nothing, so it is charged as it comes. */
function declaredBytes(request: FastifyRequest): number {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) && declared > 0 ? declared : 0;
}
