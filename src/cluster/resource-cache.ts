import { backoffDelayMs } from './backoff.ts';
import { type Clock, type TimerHandle, systemClock } from './clock.ts';
import type { Logger } from 'pino';
import { KubeApiError, type KubeApi, type WatchEventType } from './kube-api.ts';

export interface CachedObject {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly resourceVersion?: string };
}

export interface ResourceCacheOptions<T extends CachedObject> {
  /** Collection path, e.g. `/api/v1/namespaces`. */
  readonly path: string;
  readonly resource: string;
  /**
   * Keeps only what the rules read, so 10,000 namespaces × 7 policies fit in memory:
   * managedFields alone are larger than the rest of a NetworkPolicy.
   */
  readonly strip: (object: Record<string, unknown>) => T;
  readonly pageSize?: number;
  readonly maxBackoffMs?: number;
  /** Paces relists and dates the loss of the API server; default the system clock. */
  readonly clock?: Clock;
}

export type CacheEvent<T> =
  | { readonly type: 'added' | 'modified' | 'deleted'; readonly object: T; readonly previous?: T }
  /** The cache was (re)filled from a list; consumers should reconcile everything. */
  | { readonly type: 'relisted' };

type Listener<T> = (event: CacheEvent<T>) => void;

interface ListResponse {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items: Record<string, unknown>[];
}

/**
 * List-then-watch cache of one resource (the informer pattern). A watch that ends is resumed
 * from the last resourceVersion; 410 Gone, an ERROR event or a failed watch relists, with
 * exponential backoff while the API server is unreachable. Bookmarks keep the
 * resourceVersion fresh so a resumed watch rarely needs a relist.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 */
export interface CacheHealth {
  /** True once the first list has completed. */
  readonly synced: boolean;
  /** When the connection to the API server was lost; undefined while healthy. */
  readonly brokenSince: number | undefined;
  readonly lastError: string | undefined;
}

export class ResourceCache<T extends CachedObject> {
  private readonly api: KubeApi;
  private readonly options: ResourceCacheOptions<T>;
  private readonly log: Logger;
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private readonly listeners: Listener<T>[] = [];
  private resourceVersion = '';
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private failures = 0;
  private retryTimer: TimerHandle | undefined;
  private synced = false;
  private brokenSince: number | undefined;
  private lastError: string | undefined;
  private readonly clock: Clock;

  constructor(api: KubeApi, options: ResourceCacheOptions<T>, log: Logger) {
    this.api = api;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.log = log.child({ cache: options.resource });
  }

  start(): void {
    this.stopped = false;
    void this.relist();
  }

  /** Whether the first list completed, since when the API server has been lost, and why. */
  health(): CacheHealth {
    return { synced: this.synced, brokenSince: this.brokenSince, lastError: this.lastError };
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.retryTimer);
    this.stopWatch?.();
  }

  onEvent(listener: Listener<T>): void {
    this.listeners.push(listener);
  }

  get(namespace: string, name: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  list(namespace: string): T[] {
    const objects = this.byNamespace.get(namespace);
    return objects === undefined ? [] : [...objects.values()];
  }

  all(): T[] {
    return [...this.byNamespace.values()].flatMap((objects) => [...objects.values()]);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const items: T[] = [];
      let continueToken: string | undefined;
      let resourceVersion = '';
      do {
        const page = await this.api.request<ListResponse>('GET', this.options.path, {
          query: { limit: String(this.options.pageSize ?? 500), continue: continueToken },
        });
        items.push(...page.items.map(this.options.strip));
        continueToken = page.metadata?.continue || undefined;
        resourceVersion = page.metadata?.resourceVersion ?? '';
      } while (continueToken !== undefined);
      this.replaceAll(items);
      this.resourceVersion = resourceVersion;
      this.synced = true;
      this.emit({ type: 'relisted' });
      this.watch();
    } catch (error) {
      this.retryLater(error);
    }
  }

  private watch(): void {
    if (this.stopped) return;
    const query = { resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true' };
    this.stopWatch = this.api.watch(this.options.path, query, {
      onEvent: (type, object) => this.apply(type, object),
      done: (error) => this.watchEnded(error),
      opened: () => this.healthy(),
    });
  }

  /** Healthy again once the API server accepts the watch, not when the request is merely sent. */
  private healthy(): void {
    this.failures = 0;
    this.brokenSince = undefined;
    this.lastError = undefined;
  }

  private watchEnded(error: Error | null): void {
    if (this.stopped) return;
    if (error === null) {
      // The API server ends watches after a while (--min-request-timeout); resume where we were.
      try {
        this.watch();
      } catch (watchError) {
        this.retryLater(watchError);
      }
      return;
    }
    this.retryLater(error);
  }

  private retryLater(error: unknown): void {
    if (this.stopped) return;
    this.failures += 1;
    this.brokenSince ??= this.clock.now();
    this.lastError = error instanceof Error ? error.message : String(error);
    const delay = backoffDelayMs(this.failures, { baseMs: 500, maxMs: this.options.maxBackoffMs ?? 30_000 });
    this.log.warn({ err: this.lastError, retryInMs: delay, gone: error instanceof KubeApiError && error.statusCode === 410 }, `${this.options.resource} watch failed; relisting`);
    this.resourceVersion = '';
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => void this.relist(), delay);
  }

  private apply(type: WatchEventType, raw: Record<string, unknown>): void {
    if (type === 'ERROR') {
      // Typically 410 Gone: our resourceVersion is too old. Drop the stream and relist.
      this.stopWatch?.();
      this.retryLater(new Error(`watch error: ${JSON.stringify(raw).slice(0, 300)}`));
      return;
    }
    const metadata = raw.metadata as { resourceVersion?: string } | undefined;
    if (metadata?.resourceVersion !== undefined) this.resourceVersion = metadata.resourceVersion;
    if (type !== 'BOOKMARK') this.applyChange(type, this.options.strip(raw));
  }

  private applyChange(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    const previous = this.get(namespace, name);
    if (type === 'DELETED') {
      this.remove(namespace, name);
      this.emit({ type: 'deleted', object, previous });
      return;
    }
    this.store(object);
    this.emit({ type: previous === undefined ? 'added' : 'modified', object, previous });
  }

  private store(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    let objects = this.byNamespace.get(namespace);
    if (objects === undefined) {
      objects = new Map();
      this.byNamespace.set(namespace, objects);
    }
    objects.set(object.metadata?.name ?? '', object);
  }

  private remove(namespace: string, name: string): void {
    const objects = this.byNamespace.get(namespace);
    objects?.delete(name);
    // Namespaces come and go: do not keep an empty map per namespace ever seen.
    if (objects?.size === 0) this.byNamespace.delete(namespace);
  }

  private replaceAll(items: readonly T[]): void {
    this.byNamespace.clear();
    for (const object of items) this.store(object);
  }

  private emit(event: CacheEvent<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, 'cache listener failed');
      }
    }
  }
}
