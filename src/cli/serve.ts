import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { AdmissionDeps } from '../admission/handler.ts';
import { createAuditSink } from '../audit/audit-log.ts';
import { operationalStdout } from '../audit/stdout.ts';
import { BaselineApplier } from '../cluster/baseline-applier.ts';
import { ClusterCache } from '../cluster/cluster-cache.ts';
import { KubeApi } from '../cluster/kube-api.ts';
import { LeaderElector } from '../cluster/leader-election.ts';
import { CeilingReporter } from '../cluster/ceiling-reporter.ts';
import { Reconciler } from '../cluster/reconciler.ts';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { readFileSync } from 'node:fs';
import { defaultTransportLimits } from '../http/limits.ts';
import { type RunningServer, startServer } from '../http/server.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { observedAudit } from '../metrics/observed-audit.ts';
import type { StateSources } from '../metrics/state-gauges.ts';
import { ClusterStateUnavailableError } from '../policy/decision.ts';

/**
 * `serve`: the webhook. Starts serving even when the API server cannot be reached: rules that
 * need cluster state then fail closed, the rest decide, /readyz says not ready, and the
 * caches keep retrying.
 */
export async function runServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '0.0.0.0' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      config: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'max-body-bytes': { type: 'string', default: String(defaultTransportLimits.maxBodyBytes) },
      'max-in-flight-requests': { type: 'string', default: String(defaultTransportLimits.maxInFlightRequests) },
      'max-in-flight-bytes': { type: 'string', default: String(defaultTransportLimits.maxInFlightBytes) },
      'client-ca': { type: 'string' },
      'shutdown-delay-seconds': { type: 'string', default: '5' },
    },
  });
  // Through the audit log's stdout writer: one writer per pipe, none of them blocking.
  const log = pino({ base: { component: 'netpol-hygiene' } }, operationalStdout());
  let config: Config;
  try {
    config = loadConfig(configPath(values.config));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`netpol-hygiene serve: ${error.message}\n`);
    return 2;
  }
  if (values['tls-cert'] === undefined || values['tls-key'] === undefined) {
    process.stderr.write('netpol-hygiene serve: --tls-cert and --tls-key are required (the API server calls webhooks over HTTPS only)\n');
    return 2;
  }
  const metrics = createMetrics();
  const audit = observedAudit(createAuditSink(config.audit.file), metrics);
  const cluster = connect({ kubeconfig: values.kubeconfig, context: values.context }, config, log, audit);
  const admission: AdmissionDeps = { context: { config, cluster: cluster.state }, audit, baseline: cluster.applier };
  const shutdown = { draining: false, delayMs: Number(values['shutdown-delay-seconds']) * 1000 };
  const readiness = { notReadyReason: () => (shutdown.draining ? 'shutting down' : cluster.state.notReadyReason()) };
  const server = await startServer(
    {
      admission,
      readiness,
      logger: log,
      metrics,
      limits: {
        maxBodyBytes: Number(values['max-body-bytes']),
        maxInFlightRequests: Number(values['max-in-flight-requests']),
        maxInFlightBytes: Number(values['max-in-flight-bytes']),
      },
    },
    {
      host: values.host,
      port: Number(values.port),
      tlsCertFile: values['tls-cert'],
      tlsKeyFile: values['tls-key'],
      clientCa: values['client-ca'] === undefined ? undefined : readFileSync(values['client-ca'], 'utf8'),
    },
    log,
  );
  metrics.attach({ auditStats: () => audit.stats(), inFlight: () => server.inFlight(), certificateNotAfter: () => server.certificateNotAfter(), ...cluster.metrics });
  cluster.start();
  handleSignals(server, cluster, audit, log, shutdown);
  // Nothing is lost if a promise somewhere is left unhandled: log it and keep serving.
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));
  return -1;
}

interface ClusterSide {
  readonly state: ClusterCache | UnreachableCluster;
  readonly applier?: BaselineApplier;
  /** What /metrics reads from the caches, the Lease and the reconciler. */
  readonly metrics: StateSources;
  start(): void;
  stop(): Promise<void>;
}

class UnreachableCluster {
  private readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
  namespace(): never {
    throw new ClusterStateUnavailableError(this.reason);
  }
  networkPolicies(): never {
    throw new ClusterStateUnavailableError(this.reason);
  }
  notReadyReason(): string {
    return this.reason;
  }
}

function connect(target: { kubeconfig?: string; context?: string }, config: Config, log: pino.Logger, audit: ReturnType<typeof createAuditSink>): ClusterSide {
  let api: KubeApi;
  try {
    api = KubeApi.load(target.kubeconfig, target.context);
  } catch (error) {
    const reason = `no cluster access: ${(error as Error).message}`;
    log.error(reason);
    return { state: new UnreachableCluster(reason), metrics: {}, start() {}, async stop() {} };
  }
  const cache = new ClusterCache(api, log);
  const applier = new BaselineApplier({ api, config, cluster: cache, log, audit });
  const ceiling = new CeilingReporter({ config, cache, audit, events: applier });
  const reconciler = new Reconciler({ config, cache, converger: applier, audit, log, ceiling });
  const identity = process.env.POD_NAME ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const elector = new LeaderElector(
    api,
    {
      namespace: process.env.POD_NAMESPACE ?? config.webhook.namespace,
      leaseName: 'netpol-hygiene-reconciler',
      identity,
      leaseDurationSeconds: config.reconcile.leaseDurationSeconds,
      onStartedLeading: () => reconciler.start(),
      onStoppedLeading: () => reconciler.stop(),
    },
    log,
  );
  return {
    state: cache,
    applier,
    metrics: { caches: () => cache.states(), leader: () => elector.leading, reconciler: () => reconciler.status(), policiesAboveCeiling: () => ceiling.count() },
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

/**
 * SIGTERM: report not ready and keep serving for the shutdown delay, because the API server
 * keeps sending requests to this pod until the endpoint update reaches it (with failurePolicy
 * Fail, a refused connection is a refused pod); then stop accepting connections, finish
 * in-flight requests, release the Lease. SIGINT (a person at a terminal) skips the delay.
 */
function handleSignals(
  server: RunningServer,
  cluster: ClusterSide,
  audit: ReturnType<typeof createAuditSink>,
  log: pino.Logger,
  state: { draining: boolean; delayMs: number },
): void {
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    state.draining = true;
    const delayMs = signal === 'SIGTERM' ? state.delayMs : 0;
    log.info({ signal, delayMs }, 'shutting down: serving until endpoints drop this pod, then finishing in-flight requests');
    const forced = setTimeout(() => process.exit(1), delayMs + 25_000).unref();
    void (async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await server.close();
      await cluster.stop();
      audit.flush();
      clearTimeout(forced);
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
