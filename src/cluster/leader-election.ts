import type { Logger } from 'pino';
import { type Clock, type TimerHandle, systemClock } from './clock.ts';
import { KubeApiError, type KubeApi } from './kube-api.ts';

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly leaseName: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

/** When a leader renews and when it gives up, all derived from the lease duration. */
export interface LeaseTiming {
  /** Between the end of one attempt and the start of the next. */
  readonly renewEveryMs: number;
  /** A leader whose last successful attempt started longer ago than this steps down. */
  readonly stepDownAfterMs: number;
  /** How often the step-down deadline is checked, independent of hanging requests. */
  readonly deadlineCheckEveryMs: number;
}

/**
 * Renew every third of the lease, give up after two thirds, and look at the deadline often
 * enough (a sixth of the lease, at most every 500 ms) that a leader is gone by five sixths of
 * the lease: before anyone else may count it as expired.
 */
export function leaseTiming(leaseDurationSeconds: number): LeaseTiming {
  const leaseMs = leaseDurationSeconds * 1000;
  return { renewEveryMs: leaseMs / 3, stepDownAfterMs: (leaseMs * 2) / 3, deadlineCheckEveryMs: Math.min(500, leaseMs / 6) };
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * the holder renews every third of the lease; updates carry the resourceVersion, so two
 * candidates cannot both win. A lease counts as expired when *this* replica has seen the same
 * holder and renewTime for longer than the duration (local observation, so clock skew between
 * replicas does not matter). A leader that has not renewed within two thirds of the duration
 * steps down, counted from when its last successful attempt *started* and checked every sixth
 * of the duration however long a request hangs, so it is gone before anyone else may take over
 * (leaseTiming).
 * https://kubernetes.io/docs/concepts/architecture/leases/
 */
export class LeaderElector {
  private readonly api: KubeApi;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly timing: LeaseTiming;
  private timer: TimerHandle | undefined;
  private deadlineCheck: TimerHandle | undefined;
  private lastRenewed = 0;
  private observed: { record: string; at: number } | undefined;
  private stopped = false;
  private leading = false;

  constructor(api: KubeApi, options: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.timing = leaseTiming(options.leaseDurationSeconds);
    this.log = log.child({ lease: `${options.namespace}/${options.leaseName}`, identity: options.identity });
  }

  isLeading(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
    // Independent of how long a renew request hangs.
    this.deadlineCheck = this.clock.setInterval(() => this.stepDownIfLate(), this.timing.deadlineCheckEveryMs);
  }

  private late(attemptStarted: number): boolean {
    return this.clock.now() - attemptStarted > this.timing.stepDownAfterMs;
  }

  private stepDownIfLate(): void {
    if (this.leading && this.late(this.lastRenewed)) {
      this.log.warn('could not renew the lease in time; stepping down');
      this.setLeading(false);
    }
  }

  /** Steps down and releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.clock.clearInterval(this.deadlineCheck);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.get();
      if (lease?.spec.holderIdentity === this.options.identity) {
        await this.put({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
      }
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'could not release the lease');
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (error) {
      const conflict = error instanceof KubeApiError && error.statusCode === 409;
      if (!conflict) this.log.warn({ err: (error as Error).message }, 'lease update failed');
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.tick(), this.timing.renewEveryMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date(this.clock.now());
    const attemptStarted = now.getTime();
    const lease = await this.get();
    if (lease === undefined) {
      await this.api.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`, {
        body: this.newLease(now, undefined),
      });
      return this.renewed(attemptStarted);
    }
    const holder = lease.spec.holderIdentity ?? '';
    if (holder === this.options.identity) {
      await this.put({ ...lease, spec: { ...lease.spec, renewTime: microTime(now), leaseDurationSeconds: this.options.leaseDurationSeconds } });
      return this.renewed(attemptStarted);
    }
    if (holder !== '' && !this.expired(lease)) {
      if (this.leading) this.setLeading(false);
      return;
    }
    await this.put({ ...this.newLease(now, lease), metadata: lease.metadata });
    this.renewed(attemptStarted);
  }

  /** Whether this replica has seen the same holder and renew time for longer than the lease lasts. */
  private expired(lease: Lease): boolean {
    const record = `${lease.spec.holderIdentity ?? ''}@${lease.spec.renewTime ?? lease.spec.acquireTime ?? ''}`;
    if (this.observed?.record !== record) this.observed = { record, at: this.clock.now() };
    return this.clock.now() - this.observed.at > (lease.spec.leaseDurationSeconds ?? this.options.leaseDurationSeconds) * 1000;
  }

  private newLease(now: Date, previous: Lease | undefined): Lease {
    return {
      metadata: { name: this.options.leaseName, namespace: this.options.namespace },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: this.options.leaseDurationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (previous?.spec.leaseTransitions ?? -1) + 1,
      },
    };
  }

  private renewed(attemptStarted: number): void {
    if (this.stopped) return;
    this.lastRenewed = attemptStarted;
    // An answer that took longer than the step-down deadline is no ground to start leading.
    if (!this.leading && !this.late(attemptStarted)) this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.log.info(leading ? 'became the leader: reconciling' : 'no longer the leader');
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async get(): Promise<Lease | undefined> {
    try {
      return await this.api.request<Lease>('GET', this.path());
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  private async put(lease: Lease): Promise<void> {
    await this.api.request('PUT', this.path(), { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease } });
  }

  private path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases/${this.options.leaseName}`;
  }
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
