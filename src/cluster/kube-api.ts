import https from 'node:https';
import { createInterface } from 'node:readline';
import { type Connection, loadConnection } from './connection.ts';

/** A failed API call, with the Status the API server returned when it returned one. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  constructor({ method, path }: { method: string; path: string }, { statusCode, reason, message }: { statusCode: number; reason: string; message: string }) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** What a watch reports: each event; once, how it ended; and when the API server accepted it. */
export interface WatchHandlers {
  onEvent(type: WatchEventType, object: Record<string, unknown>): void;
  /** Exactly once: null when the watch ended normally (or went idle once accepted), the error otherwise. */
  done(error: Error | null): void;
  opened?(): void;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
}

export interface KubeApiTimeouts {
  /** For an answer to begin: a request, or a watch until the API server accepts it. */
  readonly requestMs: number;
  /**
   * A watch that delivers nothing for this long is ended and resumed: bookmarks arrive about
   * once a minute, so silence this long suggests a half-open connection, and resuming from the
   * last resourceVersion costs one request, not a relist.
   */
  readonly watchIdleMs: number;
}

export const defaultKubeApiTimeouts: KubeApiTimeouts = { requestMs: 10_000, watchIdleMs: 90_000 };

/**
 * The API calls the product makes, in wire form (JSON exactly as the API server serves it),
 * over one keep-alive agent. Server-side apply must send exactly what the profile says, so
 * nothing is mapped through typed models.
 */
export class KubeApi {
  readonly connection: Connection;
  private readonly agent: https.Agent;
  private readonly timeouts: KubeApiTimeouts;

  constructor(connection: Connection, timeouts: KubeApiTimeouts = defaultKubeApiTimeouts) {
    this.connection = connection;
    this.timeouts = timeouts;
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      ca: connection.ca,
      cert: connection.cert,
      key: connection.key,
      rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
    });
  }

  /** --kubeconfig and --context as the commands take them (see loadConnection). */
  static load(kubeconfigPath?: string, context?: string): KubeApi {
    return new KubeApi(loadConnection({ kubeconfig: kubeconfigPath, context }));
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string | number> = { ...this.headers() };
    if (payload !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const httpsOptions = await this.requestOptions({ method, headers, timeout: this.timeouts.requestMs });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = https.request(url, httpsOptions, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`${method} ${url.pathname}: no answer from ${url.host} within ${this.timeouts.requestMs / 1000}s`)));
      request.on('error', reject);
      request.end(payload);
    });
    if (status >= 200 && status < 300) return (text === '' ? undefined : JSON.parse(text)) as T;
    throw statusError(method, url.pathname, status, text);
  }

  /** Streams watch events, one JSON object per line. Returns a function that stops the watch. */
  watch(path: string, query: Readonly<Record<string, string>>, { onEvent, done, opened = () => {} }: WatchHandlers): () => void {
    const url = this.url(path, { ...query, watch: 'true' });
    let finished = false;
    let accepted = false;
    let request: ReturnType<typeof https.get> | undefined;
    const finish = (error: Error | null): void => {
      if (finished) return;
      finished = true;
      request?.destroy();
      done(error);
    };
    const start = (options: https.RequestOptions): void => {
      if (finished) return;
      request = https.get(url, options, (response) => {
        if (response.statusCode !== 200) {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => finish(statusError('GET', url.pathname, response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          return;
        }
        // Accepted: from now on only silence counts, and bookmarks break it about once a minute.
        request?.setTimeout(this.timeouts.watchIdleMs);
        accepted = true;
        opened();
        const lines = createInterface({ input: response, crlfDelay: Infinity });
        // readline re-emits the response's errors (a connection reset mid-watch, or our own
        // stop()) on the interface: without a listener that is an uncaught exception.
        lines.on('error', (error) => finish(error));
        lines.on('line', (line) => {
          if (line.trim() === '') return;
          try {
            const event = JSON.parse(line) as { type: WatchEventType; object: Record<string, unknown> };
            onEvent(event.type, event.object);
          } catch (error) {
            finish(new Error(`malformed watch event: ${(error as Error).message}`));
          }
        });
        response.on('end', () => finish(null));
        response.on('error', (error) => finish(error));
      });
      // Idle after it was accepted: resume. No answer at all (an API server that hangs, or a
      // partition): a failure, so the cache counts the time it has been without the API server.
      request.on('timeout', () => finish(accepted ? null : new Error(`GET ${url.pathname}: no answer from ${url.host} within ${this.timeouts.requestMs / 1000}s`)));
      request.on('error', (error) => finish(error));
    };
    this.requestOptions({ headers: this.headers(), timeout: this.timeouts.requestMs }).then(start, (error: Error) => finish(error));
    return () => {
      finished = true;
      request?.destroy();
    };
  }

  /** The agent and bearer token, then what a kubeconfig plugin adds (a fresh token, client certificate, proxy agent). */
  private async requestOptions(options: https.RequestOptions): Promise<https.RequestOptions> {
    const complete = { ...options, agent: this.agent };
    await this.connection.authenticate?.(complete);
    return complete;
  }

  close(): void {
    this.agent.destroy();
  }

  private url(path: string, query: Readonly<Record<string, string | undefined>> = {}): URL {
    const url = new URL(this.connection.server.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  private headers(): Record<string, string> {
    const token = this.connection.token?.();
    return token === undefined ? { accept: 'application/json' } : { accept: 'application/json', authorization: `Bearer ${token}` };
  }
}

function statusError(method: string, path: string, status: number, text: string): KubeApiError {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? reason;
    message = parsed.message ?? message;
  } catch {
    // not a Status object; keep the raw text
  }
  return new KubeApiError({ method, path }, { statusCode: status, reason, message });
}
