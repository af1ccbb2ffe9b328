import https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';

/** A failed API call, with the Status the API server returned when it returned one. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  constructor(method: string, path: string, statusCode: number, reason: string, message: string) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
}

/**
 * The API calls the product makes, in wire form (JSON as the API server serves it). The
 * typed client of @kubernetes/client-node renames fields (`from` → `_from`) on the way in
 * and out; server-side apply must send exactly what the profile says, so requests are raw.
 * Authentication and TLS come from client-node's KubeConfig.
 */
export class KubeApi {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  private readonly agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly watcher: Watch;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no current cluster');
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/$/, '');
    this.watcher = new Watch(kubeConfig);
  }

  /** --kubeconfig, else KUBECONFIG / ~/.kube/config, else the in-cluster service account. */
  static load(kubeconfigPath?: string): KubeApi {
    const kubeConfig = new KubeConfig();
    if (kubeconfigPath !== undefined) kubeConfig.loadFromFile(kubeconfigPath);
    else kubeConfig.loadFromDefault();
    return new KubeApi(kubeConfig);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const requestOptions: https.RequestOptions = { method, headers: { accept: 'application/json' } };
    await this.kubeConfig.applyToHTTPSOptions(requestOptions);
    requestOptions.agent = this.agent;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      requestOptions.headers = { ...requestOptions.headers, 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) };
    }
    const { status, text } = await send(url, requestOptions, payload);
    if (status >= 200 && status < 300) return (text === '' ? undefined : JSON.parse(text)) as T;
    let reason = 'Unknown';
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { reason?: string; message?: string };
      reason = parsed.reason ?? reason;
      message = parsed.message ?? message;
    } catch {
      // not a Status object; keep the raw text
    }
    throw new KubeApiError(method, url.pathname, status, reason, message);
  }

  /** Streams watch events; `done` is called once when the stream ends or fails. */
  async watch(
    path: string,
    query: Readonly<Record<string, string>>,
    onEvent: (type: WatchEventType, object: Record<string, unknown>) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    return this.watcher.watch(path, query, (type: string, object: Record<string, unknown>) => onEvent(type as WatchEventType, object), done);
  }

  close(): void {
    this.agent.destroy();
  }
}

function send(url: URL, options: https.RequestOptions, payload: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { ...options, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`request to ${url.host} timed out after 10s`)));
    request.on('error', reject);
    request.end(payload);
  });
}
