import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/audit-log.ts';
import type { Config } from '../config/types.ts';
import { isManaged } from '../policy/baseline.ts';
import { isExemptNamespace } from '../policy/exemptions.ts';
import type { NamespaceView } from '../policy/decision.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import type { BaselineConverger } from '../policy/baseline-convergence.ts';
import type { CacheEvent, CachedObject, ResourceCache } from './resource-cache.ts';
import { backoffDelayMs } from './backoff.ts';
import { type Clock, type TimerHandle, sleep, systemClock } from './clock.ts';

/** What the reconciler needs from the applier (BaselineApplier in production): the convergence contract, and a cheap check first. */
export interface Converger extends BaselineConverger {
  needsRepair(namespace: string): boolean;
}

/** The slice of the caches it reads (ClusterCache in production). */
export interface ReconcilerCache {
  readonly namespaces: Pick<ResourceCache<NamespaceView & CachedObject>, 'all' | 'get' | 'onEvent'>;
  readonly policies: Pick<ResourceCache<NetworkPolicy>, 'list' | 'onEvent'>;
  notReadyReason(): string | undefined;
}

export interface ReconcilerDeps {
  readonly config: Config;
  readonly cache: ReconcilerCache;
  readonly converger: Converger;
  readonly audit: AuditSink;
  readonly log: Logger;
  /** Reports policies above the ceiling at backfill and every reconcile (CeilingReporter). */
  readonly ceiling?: { check(namespace: string, trigger: string): unknown };
  /** Paces retries, resyncs and the wait for the caches; default the system clock. */
  readonly clock?: Clock;
}

/** A failed namespace is retried after 1 s, 2 s, 4 s … up to a minute. */
export const reconcileBackoff = { baseMs: 1000, maxMs: 60_000 } as const;
/** How often backfill looks whether the caches can answer yet. */
const cacheReadyPollMs = 200;

/**
 * Keeps every governed namespace's baseline in place: backfills namespaces that predate
 * the webhook, applies the baseline to new namespaces, re-creates deleted and restores
 * edited managed policies, and resyncs everything periodically so a changed profile
 * converges. Runs only on the leader; the cache listeners are cheap and always attached.
 */
export class Reconciler {
  private readonly deps: ReconcilerDeps;
  private readonly pending = new Map<string, string>();
  private readonly failures = new Map<string, number>();
  private readonly clock: Clock;
  private readonly retries = new Set<TimerHandle>();
  private running = false;
  private draining = false;
  private resyncTimer: TimerHandle | undefined;
  private backfillDone = false;
  private lastFullResync: Date | undefined;

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    deps.cache.namespaces.onEvent((event) => this.onNamespaceEvent(event));
    deps.cache.policies.onEvent((event) => this.onPolicyEvent(event));
  }

  start(): void {
    this.running = true;
    this.backfillDone = false;
    void this.backfill();
    this.resyncTimer = this.clock.setInterval(() => this.enqueueAll('periodic resync'), this.deps.config.reconcile.resyncSeconds * 1000);
  }

  /** For /metrics: what waits, what keeps failing, and when everything was last queued for a check. */
  status(): { queueDepth: number; failingNamespaces: number; lastFullResync: Date | undefined } {
    return { queueDepth: this.pending.size, failingNamespaces: this.failures.size, lastFullResync: this.lastFullResync };
  }

  stop(): void {
    this.running = false;
    this.clock.clearInterval(this.resyncTimer);
    for (const retry of this.retries) this.clock.clearTimeout(retry);
    this.retries.clear();
    this.pending.clear();
  }

  private async backfill(): Promise<void> {
    while (this.running && this.deps.cache.notReadyReason() !== undefined) await sleep(this.clock, cacheReadyPollMs);
    if (!this.running) return;
    const repaired: string[] = [];
    for (const namespace of this.governed()) {
      if (!this.running) return;
      if (await this.backfillOne(namespace.name)) repaired.push(namespace.name);
    }
    this.backfillDone = true;
    this.lastFullResync = new Date(this.clock.now());
    const message = `start-up backfill: applied the baseline to ${repaired.length} existing namespace(s)${repaired.length > 0 ? `: ${repaired.join(', ')}` : ''}`;
    this.deps.audit.write({ event: 'repair', namespace: '*', action: 'backfill', policies: [], trigger: 'start-up', message });
    this.deps.log.info({ repaired: repaired.length }, message);
    void this.drain();
  }

  /** Whether the namespace needed and got its baseline; a failure is queued for a retry. */
  private async backfillOne(namespace: string): Promise<boolean> {
    try {
      this.deps.ceiling?.check(namespace, 'start-up backfill');
      if (!this.deps.converger.needsRepair(namespace)) return false;
      const { changed } = await this.deps.converger.converge(namespace, { dryRun: false, trigger: 'start-up backfill' });
      return changed.length > 0;
    } catch (error) {
      this.enqueue(namespace, 'start-up backfill');
      this.deps.log.warn({ namespace, err: (error as Error).message }, 'backfill failed; will retry');
      return false;
    }
  }

  private onNamespaceEvent(event: CacheEvent<NamespaceView>): void {
    if (event.type === 'relisted') return this.enqueueAll('namespaces relisted');
    if (event.type === 'added') this.enqueue(event.object.name, 'namespace created');
    if (event.type === 'modified' && !isDeepStrictEqual(event.previous?.labels, event.object.labels)) this.enqueue(event.object.name, 'namespace labels changed');
  }

  private onPolicyEvent(event: CacheEvent<NetworkPolicy>): void {
    if (event.type === 'relisted') return this.enqueueAll('network policies relisted');
    const namespace = event.object.metadata?.namespace;
    const name = event.object.metadata?.name;
    if (namespace === undefined || !(isManaged(event.previous) || isManaged(event.object))) return;
    if (event.type === 'deleted') this.enqueue(namespace, `managed policy "${name}" was deleted`);
    if (event.type === 'modified') this.enqueue(namespace, `managed policy "${name}" was changed`);
  }

  private governed(): NamespaceView[] {
    return this.deps.cache.namespaces.all().filter((ns) => !ns.terminating && !isExemptNamespace(ns.name, this.deps.config));
  }

  private enqueueAll(trigger: string): void {
    if (this.running) this.lastFullResync = new Date(this.clock.now());
    for (const namespace of this.governed()) this.enqueue(namespace.name, trigger);
  }

  private enqueue(namespace: string, trigger: string): void {
    if (!this.running || isExemptNamespace(namespace, this.deps.config)) return;
    if (!this.pending.has(namespace)) this.pending.set(namespace, trigger);
    if (this.backfillDone) void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (const [namespace, trigger] of this.pending) {
        this.pending.delete(namespace);
        if (!this.running) break;
        await this.reconcile(namespace, trigger);
      }
    } finally {
      this.draining = false;
    }
    if (this.pending.size > 0 && this.running) void this.drain();
  }

  private async reconcile(namespace: string, trigger: string): Promise<void> {
    const view = this.deps.cache.namespaces.get('', namespace);
    if (view === undefined || view.terminating) {
      // Gone: nothing left to converge, and no longer failing.
      this.failures.delete(namespace);
      return;
    }
    try {
      // Inside the try: with the API server gone for long, reading the cache throws too.
      this.deps.ceiling?.check(namespace, trigger);
      if (!this.deps.converger.needsRepair(namespace)) return;
      await this.deps.converger.converge(namespace, { dryRun: false, trigger });
      this.failures.delete(namespace);
    } catch (error) {
      const failures = (this.failures.get(namespace) ?? 0) + 1;
      this.failures.set(namespace, failures);
      const delay = backoffDelayMs(failures, reconcileBackoff);
      this.deps.log.warn({ namespace, trigger, err: (error as Error).message, retryInMs: delay }, 'reconcile failed; backing off');
      this.retryLater(namespace, `${trigger.replace(/ \(retry \d+\)$/, '')} (retry ${failures})`, delay);
    }
  }

  /** Cancelled by stop(): a replica that lost the lease must not write when the timer fires. */
  private retryLater(namespace: string, trigger: string, delay: number): void {
    const retry = this.clock.setTimeout(() => {
      this.retries.delete(retry);
      this.enqueue(namespace, trigger);
    }, delay);
    this.retries.add(retry);
  }
}
