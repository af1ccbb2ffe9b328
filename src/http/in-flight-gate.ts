import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { overloaded } from './errors.ts';
import type { TransportLimits } from './limits.ts';

type GateLimits = Pick<TransportLimits, 'maxInFlightRequests' | 'maxInFlightBytes' | 'maxBodyBytes'>;

export interface InFlight {
  readonly requests: number;
  readonly bytes: number;
}

/**
 * Admits a request only while the requests and declared body bytes in flight stay within
 * bounds; beyond them the answer is an immediate 503, before the body is read, so a flood
 * costs a header parse per request and never the heap its bodies would need. Each request's
 * share is released when its response closes, whether it finished or the peer went away.
 */
export function registerInFlightGate(app: FastifyInstance, limits: GateLimits, metrics?: { rejected(reason: string): void }): () => InFlight {
  let requests = 0;
  let bytes = 0;
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const cost = declaredBytes(request, limits.maxBodyBytes);
    const reason =
      requests >= limits.maxInFlightRequests ? `${limits.maxInFlightRequests} requests in flight`
      : bytes + cost > limits.maxInFlightBytes ? `${limits.maxInFlightBytes} body bytes in flight`
      : undefined;
    if (reason !== undefined) {
      const { status, body } = overloaded(reason);
      metrics?.rejected(body.error);
      request.log.warn({ status, url: request.url.slice(0, 200), inFlight: { requests, bytes }, cost }, `rejected request: ${body.error}`);
      void reply.code(status).header('retry-after', '1').header('connection', 'close').send(body);
      return;
    }
    requests++;
    bytes += cost;
    reply.raw.once('close', () => {
      requests--;
      bytes -= cost;
    });
    done();
  });
  return () => ({ requests, bytes });
}

/** A chunked body may grow to the limit, so it is charged the limit. */
function declaredBytes(request: FastifyRequest, maxBodyBytes: number): number {
  const header = request.headers['content-length'];
  if (header === undefined) return request.headers['transfer-encoding'] === undefined ? 0 : maxBodyBytes;
  const declared = Number(header);
  return Number.isFinite(declared) && declared >= 0 ? Math.min(declared, maxBodyBytes) : maxBodyBytes;
}
