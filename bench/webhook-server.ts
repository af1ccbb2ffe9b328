/**
 * The system under test: the real app (buildApp, the real rules, the real audit sink) over
 * HTTPS, with the cluster in steady state, as after the informer caches have synced and the
 * reconciler has applied every baseline:
 *
 * - products-prod exists with the seed profile and default tier `ui`, and holds its rendered
 *   seed baseline, so POD-PROTECTED passes from the cache;
 * - a baseline ensurer is wired in, as in production with write access, but it only counts:
 *   run.ts reports the count, which must stay 0 ("no API call on the hot path").
 *
 * Audit records go where `serve` sends them with the default config: pino JSON lines on fd 1,
 * which run.ts points at a file in the temp directory. Their serialisation and write are part
 * of the measured cost, as they are in production.
 */
import { pino } from 'pino';
import type { BaselineConverger } from '../src/policy/baseline-convergence.ts';
import { createAuditSink } from '../src/audit/audit-log.ts';
import { operationalStdout } from '../src/audit/stdout.ts';
import { loadConfigInChild } from '../src/config/load-in-child.ts';
import { buildApp } from '../src/http/app.ts';
import { createMetrics } from '../src/metrics/metrics.ts';
import { observedAudit } from '../src/metrics/observed-audit.ts';
import type { ClusterState, NamespaceView } from '../src/policy/decision.ts';
import type { NetworkPolicy } from '../src/kube/network-policy.ts';
import { serveForBenchmark, tlsFromArgs } from './child.ts';
import { benchBaseline, benchNamespace, benchNamespaceView } from './fixtures.ts';

// As `serve` reads it: in a child process, so the YAML parser and schema validator never load here.
const config = await loadConfigInChild(undefined);
const counters = { namespaceReads: 0, policyReads: 0, baselineEnsures: 0 };

/** What the informer caches answer from memory: plain map lookups. */
const namespaces = new Map<string, NamespaceView>([[benchNamespace, benchNamespaceView]]);
const policies = new Map<string, readonly NetworkPolicy[]>([[benchNamespace, benchBaseline(config)]]);
const cluster: ClusterState = {
  namespace(name) {
    counters.namespaceReads++;
    return namespaces.get(name);
  },
  networkPolicies(namespace) {
    counters.policyReads++;
    return policies.get(namespace) ?? [];
  },
};

/** Stands in for BaselineApplier, which would call the API server; steady state never needs it. */
const baseline: BaselineConverger = {
  async converge(namespace) {
    counters.baselineEnsures++;
    return { policies: policies.get(namespace) ?? [], changed: [] };
  },
};

// As `serve` wires it: every decision counted in /metrics on the way to the audit log.
const metrics = createMetrics();
const audit = observedAudit(createAuditSink(), metrics);
const app = buildApp({
  admission: { context: { config, cluster }, audit, baseline },
  readiness: { notReadyReason: () => undefined },
  // As `serve` builds it: the operational log on stdout beside the audit records.
  logger: pino({ base: { component: 'netpol-hygiene' } }, operationalStdout()),
  https: tlsFromArgs(),
  metrics,
});
metrics.attach({ auditStats: () => audit.stats(), inFlight: () => app.inFlight() });

// The audit writer's waits: a log pipe drained too slowly makes the webhook wait for it, which shows as idle CPU in a peak phase.
const auditCounters = (): Record<string, number> => {
  const stdout = audit.stats().find((sink) => sink.sink === 'stdout');
  return { auditFullBufferWaits: stdout?.fullBufferWaits ?? 0, auditDroppedRecords: stdout?.droppedRecords ?? 0 };
};
await serveForBenchmark(app, { stats: () => ({ ...counters, ...auditCounters() }), beforeExit: () => audit.flush() });
