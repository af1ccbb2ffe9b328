import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * Bounds what requests in flight may hold. Requests are counted from their headers; body
 * bytes are charged as they arrive, not as declared, so a client that declares megabytes and
 * trickles bytes holds only what it sent. A request whose bytes would pass the budget, or that
 * declares more than is left of it, is refused with 503 at once; a body that has not arrived
 * within bodyTimeoutMs of its headers gets 408. Each request's share is released when its
 * response closes, whether it finished or the peer went away.
 */
export function registerInFlightGate(app: FastifyInstance, limits: GateLimits): () => InFlight {
  const counters: Counters = { requests: 0, bytes: 0 };
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const declared = declaredBytes(request);
    const budget = budgetFor(declared, limits);
    const reason = refusal(counters, declared, budget, limits);
    // Answered by the app's error handler, as every transport rejection is: 503, logged, counted.
    if (reason !== undefined) return done(new RequestRefusedError('NH_OVERLOADED', reason));
    counters.requests++;
    const charge = { bytes: 0, budget };
    reply.raw.once('close', () => {
      counters.requests--;
      counters.bytes -= charge.bytes;
    });
    (request as FastifyRequest & { bodyCharge?: Charge }).bodyCharge = charge;
    done();
  });
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) return done(null, payload);
    const charge = (request as FastifyRequest & { bodyCharge?: Charge }).bodyCharge ?? { bytes: 0, budget: limits.maxInFlightBytes };
    const meter = meteredBody({ counters, charge, limits });
    reply.raw.once('close', () => meter.stopClock());
    done(null, payload.pipe(meter.stream));
  });
  return () => ({ ...counters });
}

/** What one request's body bytes are held to: this request's bytes and everyone's must fit under it. */
interface Charge {
  bytes: number;
  readonly budget: number;
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

/** The body as it arrives, charged to the budget chunk by chunk, on a clock. */
function meteredBody({ counters, charge, limits }: { counters: Counters; charge: Charge; limits: GateLimits }): { stream: Transform; stopClock(): void } {
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (counters.bytes + chunk.length > charge.budget) {
        callback(new RequestRefusedError('NH_OVERLOADED', `${charge.budget} body bytes in flight`));
        return;
      }
      counters.bytes += chunk.length;
      charge.bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const clock = setTimeout(() => stream.destroy(new RequestRefusedError('NH_BODY_TIMEOUT', `the body did not arrive within ${limits.bodyTimeoutMs / 1000}s`)), limits.bodyTimeoutMs);
  stream.once('end', () => clearTimeout(clock));
  // The body parser listens too; this one only keeps an unread body's refusal from being uncaught.
  stream.on('error', () => {});
  return { stream, stopClock: () => clearTimeout(clock) };
}

/** Bytes the request says it will send; a chunked body says nothing, so it is charged as it comes. */
function declaredBytes(request: FastifyRequest): number {
  const declared = Number(request.headers['content-length']);
  return Number.isFinite(declared) && declared > 0 ? declared : 0;
}
