import { type JsonShapeLimits, defaultJsonShapeLimits } from './json-shape-guard.ts';

/**
 * What one connection or request may cost. Anyone who can reach the port can send requests
 * (the API server presents no client certificate unless --client-ca is set), so each bound
 * is there to keep a hostile or broken client from exhausting a replica that every pod
 * creation in a governed namespace waits on (failurePolicy: Fail).
 */
export interface TransportLimits {
  /** Largest accepted body. An AdmissionReview carries object and oldObject, each up to the API server's 3 MiB. */
  readonly maxBodyBytes: number;
  /** Requests being received or decided at once; more get a fast 503. */
  readonly maxInFlightRequests: number;
  /**
   * Body bytes received and not yet answered, charged as they arrive. Parsed JSON costs
   * several times its size, so this bounds the heap that requests in flight can hold.
   */
  readonly maxInFlightBytes: number;
  /** A body that declares at most this is a small one: ordinary reviews are ~10 KB. */
  readonly smallBodyBytes: number;
  /** Headroom above maxInFlightBytes that only small bodies may use, so large ones never starve them. */
  readonly smallBodyReserveBytes: number;
  /** Open connections; the API server keeps a few keep-alive connections per replica. */
  readonly maxConnections: number;
  /** From connection to the end of the request headers. */
  readonly headersTimeoutMs: number;
  /** From connection to the end of the request body: the API server gives up after the webhook's timeoutSeconds (5 s). */
  readonly requestTimeoutMs: number;
  /** From the end of the headers to the end of the body: the API server sends a review at network speed, a slow sender holds a slot. */
  readonly bodyTimeoutMs: number;
  /** TLS handshake. */
  readonly handshakeTimeoutMs: number;
  /** A keep-alive connection with no request (Node's own default; the API server reconnects at will). */
  readonly idleTimeoutMs: number;
  readonly json: JsonShapeLimits;
}

export const defaultTransportLimits: TransportLimits = {
  maxBodyBytes: 7 * 1024 * 1024,
  maxInFlightRequests: 256,
  maxInFlightBytes: 12 * 1024 * 1024,
  smallBodyBytes: 256 * 1024,
  smallBodyReserveBytes: 4 * 1024 * 1024,
  maxConnections: 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  bodyTimeoutMs: 3_000,
  handshakeTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  json: defaultJsonShapeLimits,
};
