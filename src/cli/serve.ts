import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createAuditSink } from '../audit/audit-log.ts';
import { operationalStdout } from '../audit/stdout.ts';
import { createClusterSide } from '../cluster/cluster-side.ts';
import { ConfigError } from '../config/config-error.ts';
import { configPath } from '../config/config-path.ts';
import { loadConfigInChild } from '../config/load-in-child.ts';
import type { Config } from '../config/types.ts';
import { type TransportLimits, defaultTransportLimits } from '../http/limits.ts';
import { type ServeOptions as ServerOptions, startServer } from '../http/server.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { observedAudit } from '../metrics/observed-audit.ts';
import { shutDown, shutdownSignal } from './serve-shutdown.ts';

/**
 * `serve`: the webhook. Starts serving even when the API server cannot be reached: rules that
 * need cluster state then fail closed, the rest decide, /readyz says not ready, and the
 * caches keep retrying. Resolves with the exit code once a signal has shut it down.
 */
export async function runServe(args: string[]): Promise<number> {
  const options = await readOptions(args);
  if (typeof options === 'string') {
    process.stderr.write(`netpol-hygiene serve: ${options}\n`);
    return 2;
  }
  const { config } = options;
  // Through the audit log's stdout writer: one writer per pipe, none of them blocking.
  const log = pino({ base: { component: 'netpol-hygiene' } }, operationalStdout());
  const metrics = createMetrics();
  const audit = observedAudit(createAuditSink(config.audit.file), metrics);
  const cluster = createClusterSide({ kubeconfig: options.kubeconfig, context: options.context, config, audit, log });
  let draining = false;
  const server = await startServer(
    {
      admission: { context: { config, cluster: cluster.state }, audit, baseline: cluster.applier },
      readiness: { notReadyReason: () => (draining ? 'shutting down' : cluster.notReadyReason()) },
      logger: log,
      metrics,
      limits: options.limits,
    },
    options.listen,
    log,
  );
  metrics.attach({ auditStats: () => audit.stats(), inFlight: () => server.inFlight(), certificateNotAfter: () => server.certificateNotAfter(), ...cluster.metrics });
  cluster.start();
  // Nothing is lost if a promise somewhere is left unhandled: log it and keep serving.
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));
  const signal = await shutdownSignal();
  draining = true;
  return shutDown(signal, { server, cluster, audit, log, delayMs: options.shutdownDelayMs });
}

interface ServeOptions {
  readonly config: Config;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly listen: ServerOptions;
  readonly limits: Partial<TransportLimits>;
  readonly shutdownDelayMs: number;
}

/** The flags and the config file, or what is wrong with them. */
async function readOptions(args: string[]): Promise<ServeOptions | string> {
  const { values } = parseArgs({ args, options: flags });
  let config: Config;
  try {
    config = await loadConfigInChild(configPath(values.config));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
  if (values['tls-cert'] === undefined || values['tls-key'] === undefined) {
    return '--tls-cert and --tls-key are required (the API server calls webhooks over HTTPS only)';
  }
  return {
    config,
    kubeconfig: values.kubeconfig,
    context: values.context,
    listen: {
      host: values.host,
      port: Number(values.port),
      tlsCertFile: values['tls-cert'],
      tlsKeyFile: values['tls-key'],
      clientCa: values['client-ca'] === undefined ? undefined : readFileSync(values['client-ca'], 'utf8'),
    },
    limits: {
      maxBodyBytes: Number(values['max-body-bytes']),
      maxInFlightRequests: Number(values['max-in-flight-requests']),
      maxInFlightBytes: Number(values['max-in-flight-bytes']),
    },
    shutdownDelayMs: Number(values['shutdown-delay-seconds']) * 1000,
  };
}

const flags = {
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
} as const;
