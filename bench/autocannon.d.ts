/**
 * The slice of autocannon 9's programmatic API the benchmark uses; the package ships no types
 * and @types/autocannon is not a dependency. https://github.com/mcollina/autocannon#api
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  export interface AutocannonOptions extends AutocannonRequest {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Requests per second across all connections; each connection gets its share per wall-clock second. */
    overallRate?: number;
    /** Request templates, cycled through by every connection. */
    requests?: AutocannonRequest[];
    /** Replace `[<id>]` in each request with a fresh id. */
    idReplacement?: boolean;
    /** A response whose body fails this counts as a mismatch. */
    verifyBody?: (body: string) => boolean;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    /** Passed to tls.connect (autocannon forces rejectUnauthorized: false). */
    tlsOptions?: Record<string, unknown>;
  }

  /** Latency values are whole milliseconds (hdr-histogram truncates). */
  export interface Histogram {
    average: number;
    mean: number;
    min: number;
    max: number;
    p50: number;
    p97_5: number;
    p99: number;
    p99_9?: number;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    '2xx': number;
    latency: Histogram;
    requests: Histogram & { sent: number; total: number };
  }

  export interface Instance extends EventEmitter, PromiseLike<AutocannonResult> {
    stop(): void;
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  function autocannon(options: AutocannonOptions): Instance;
  export default autocannon;
}
