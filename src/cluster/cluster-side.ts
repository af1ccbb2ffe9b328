import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/audit-log.ts';
import type { Config } from '../config/types.ts';
import type { StateSources } from '../metrics/state-gauges.ts';
import type { BaselineConverger } from '../policy/baseline-convergence.ts';
import type { ClusterState } from '../policy/decision.ts';
import { BaselineApplier } from './baseline-applier.ts';
import { CeilingReporter } from './ceiling-reporter.ts';
import { ClusterCache } from './cluster-cache.ts';
import { KubeApi } from './kube-api.ts';
import { LeaderElector } from './leader-election.ts';
import { RateLimiter } from './rate-limiter.ts';
import { Reconciler } from './reconciler.ts';
import { UnreachableCluster } from './unreachable-cluster.ts';

export interface ClusterSide {
  /** What the rules read: the informer caches, or an unreachable cluster that fails closed. */
  readonly state: ClusterState;
  /** Applies baselines for pod self-heal; absent without cluster access. */
  readonly applier?: BaselineConverger;
  /** Undefined when the caches can answer; otherwise why not (for /readyz). */
  notReadyReason(): string | undefined;
  /** What /metrics reads from the caches, the Lease and the reconciler. */
  readonly metrics: StateSources;
  /** Starts watching and campaigning for the Lease; called once the webhook listens, since the reconciler's writes come back to it for admission. */
  start(): void;
  /** Releases the Lease, stops reconciling and watching, closes connections. */
  stop(): Promise<void>;
}

export interface ClusterSideOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly config: Config;
  readonly audit: AuditSink;
  readonly log: Logger;
}

/**
 * The cluster side, composed in one place: caches, applier, ceiling reporter, reconciler and
 * the Lease that decides which replica reconciles. Without cluster access the webhook still
 * serves: the state then fails closed with the reason.
 */
export function createClusterSide({ kubeconfig, context, config, audit, log }: ClusterSideOptions): ClusterSide {
  let api: KubeApi;
  try {
    api = KubeApi.load(kubeconfig, context);
  } catch (error) {
    const reason = `no cluster access: ${(error as Error).message}`;
    log.error(reason);
    const state = new UnreachableCluster(reason);
    return { state, notReadyReason: () => state.notReadyReason(), metrics: {}, start: () => {}, stop: async () => {} };
  }
  const cache = new ClusterCache(api, log);
  const limiter = new RateLimiter({ qps: config.reconcile.apiQps, burst: config.reconcile.apiBurst });
  const applier = new BaselineApplier({ api, config, cluster: cache, log, audit, limiter });
  const ceiling = new CeilingReporter({ config, cache, audit, events: applier });
  const reconciler = new Reconciler({ config, cache, converger: applier, audit, log, ceiling });
  const elector = new LeaderElector(
    api,
    {
      namespace: process.env.POD_NAMESPACE ?? config.webhook.namespace,
      leaseName: 'netpol-hygiene-reconciler',
      identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      leaseDurationSeconds: config.reconcile.leaseDurationSeconds,
      onStartedLeading: () => reconciler.start(),
      onStoppedLeading: () => reconciler.stop(),
    },
    log,
  );
  return {
    state: cache,
    applier,
    notReadyReason: () => cache.notReadyReason(),
    metrics: { caches: () => cache.states(), leader: () => elector.isLeading(), reconciler: () => reconciler.status(), policiesAboveCeiling: () => ceiling.count() },
    start() {
      cache.start();
      elector.start();
    },
    async stop() {
      await elector.stop();
      reconciler.stop();
      cache.stop();
      api.close();
    },
  };
}
