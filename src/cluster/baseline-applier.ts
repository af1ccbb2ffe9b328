import type { Logger } from 'pino';
import type { AuditSink } from '../audit/audit-log.ts';
import type { Config } from '../config/types.ts';
import type { BaselineConverger, ConvergeOptions, Convergence } from '../policy/baseline-convergence.ts';
import { profileFor } from '../config/profiles.ts';
import { renderBaseline } from '../policy/baseline.ts';
import { type BaselinePlan, planBaseline } from '../policy/baseline-plan.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { managerName } from '../kube/vocabulary.ts';
import type { ClusterCache } from './cluster-cache.ts';
import { KubeApiError, type KubeApi, type RequestOptions } from './kube-api.ts';
import { backoffDelayMs } from './backoff.ts';
import type { RateLimiter } from './rate-limiter.ts';

const retriedStatuses = new Set([409, 429, 500, 502, 503, 504]);
const maxAttempts = 4;

/**
 * Materialises a namespace's profile with server-side apply (field manager netpol-hygiene,
 * force: the manager owns these fields, so an edit by someone else is taken back). Idempotent.
 * A same-named policy that netpol-hygiene does not manage is left alone and reported.
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/
 */
export class BaselineApplier implements BaselineConverger {
  private readonly api: KubeApi;
  private readonly config: Config;
  private readonly cluster: ClusterCache;
  private readonly log: Logger;
  private readonly audit: AuditSink;
  private readonly limiter: RateLimiter | undefined;

  /** `limiter` paces every write that no pod's admission waits on (the reconciler's). */
  constructor(deps: { api: KubeApi; config: Config; cluster: ClusterCache; log: Logger; audit: AuditSink; limiter?: RateLimiter }) {
    this.api = deps.api;
    this.config = deps.config;
    this.cluster = deps.cluster;
    this.log = deps.log;
    this.audit = deps.audit;
    this.limiter = deps.limiter;
  }

  /** The baseline the namespace should have, from its profile label. */
  desired(namespace: string): NetworkPolicy[] {
    const { profile } = profileFor(this.cluster.namespace(namespace)?.labels, this.config);
    return renderBaseline(namespace, profile, this.config);
  }

  /** What converging a namespace would change, from the cache. */
  plan(namespace: string): BaselinePlan {
    return planBaseline(this.cluster.networkPolicies(namespace), this.desired(namespace));
  }

  needsRepair(namespace: string): boolean {
    const { create, restore, obsolete } = this.plan(namespace);
    return create.length + restore.length + obsolete.length > 0;
  }

  /**
   * Creates what is missing, restores what was edited, deletes managed policies the profile
   * dropped, and records one repair (audit record and Event) when anything changed.
   * Concurrent calls for one namespace (several pods admitted at once, or a pod racing the
   * reconciler) share one convergence, so a repair is applied and recorded once.
   */
  async converge(namespace: string, options: ConvergeOptions): Promise<Convergence> {
    if (options.urgent !== true) await this.throttle(namespace);
    return this.singleFlight(namespace, options);
  }

  /**
   * One token per write the namespace needs, taken before the convergence starts: while it
   * waits, a pod's urgent convergence of the same namespace runs on its own and this one then
   * finds less (or nothing) to do.
   */
  private async throttle(namespace: string): Promise<void> {
    if (this.limiter === undefined) return;
    const { create, restore, obsolete } = this.plan(namespace);
    for (let i = 0; i < create.length + restore.length + obsolete.length; i++) await this.limiter.acquire();
  }

  private singleFlight(namespace: string, options: ConvergeOptions): Promise<Convergence> {
    const key = `${options.dryRun ? 'dry-run' : 'real'}/${namespace}`;
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const started = this.convergeNow(namespace, options).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private readonly inFlight = new Map<string, Promise<Convergence>>();

  private async convergeNow(namespace: string, options: ConvergeOptions): Promise<Convergence> {
    const plan = this.plan(namespace);
    if (plan.foreign.length > 0) {
      this.log.warn({ namespace, policies: plan.foreign.map((p) => p.metadata?.name) }, 'baseline policy names are taken by policies netpol-hygiene does not manage; left alone');
    }
    const [applied] = await Promise.all([
      Promise.all([...plan.create.map((p) => this.apply(p, options.dryRun)), ...plan.restore.map((p) => this.restore(p, options.dryRun))]),
      Promise.all(plan.obsolete.map((p) => this.remove(p, options.dryRun))),
    ]);
    const changed = [...applied, ...plan.obsolete].map((p) => p.metadata?.name ?? '');
    if (!options.dryRun && changed.length > 0) {
      const removed = plan.obsolete.length > 0 ? `; removed ${plan.obsolete.map((p) => p.metadata?.name).join(', ')}` : '';
      const message = `applied baseline policies ${applied.map((p) => p.metadata?.name).join(', ')} to namespace "${namespace}"${removed} (${options.trigger})`;
      this.audit.write({ event: 'repair', namespace, action: 'apply-baseline', policies: changed, trigger: options.trigger, message });
      // Not awaited: an Event is a courtesy and must not hold up a pod's admission.
      void this.recordEvent(namespace, 'BaselineApplied', message);
    }
    return { policies: [...plan.unchanged, ...applied], changed };
  }

  private apply(policy: NetworkPolicy, dryRun: boolean): Promise<NetworkPolicy> {
    const query = { fieldManager: managerName, force: 'true', dryRun: dryRun ? 'All' : undefined };
    return this.patch(policy, { body: policy, contentType: 'application/apply-patch+yaml', query });
  }

  /**
   * An edited policy is restored by replacing its whole spec: server-side apply would take
   * back the fields netpol-hygiene owns but keep fields another manager added (an extra
   * ingress rule, say), which can be exactly what weakened it.
   */
  private restore(policy: NetworkPolicy, dryRun: boolean): Promise<NetworkPolicy> {
    const query = { fieldManager: managerName, dryRun: dryRun ? 'All' : undefined };
    return this.patch(policy, { body: [{ op: 'replace', path: '/spec', value: policy.spec }], contentType: 'application/json-patch+json', query });
  }

  private async remove(policy: NetworkPolicy, dryRun: boolean): Promise<void> {
    try {
      await this.api.request('DELETE', this.pathOf(policy), { query: { dryRun: dryRun ? 'All' : undefined } });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
    }
  }

  private pathOf(policy: NetworkPolicy): string {
    return `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(policy.metadata?.namespace ?? '')}/networkpolicies/${encodeURIComponent(policy.metadata?.name ?? '')}`;
  }

  private async patch(policy: NetworkPolicy, options: RequestOptions): Promise<NetworkPolicy> {
    const path = this.pathOf(policy);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.api.request<NetworkPolicy>('PATCH', path, options);
      } catch (error) {
        const retriable = !(error instanceof KubeApiError) || retriedStatuses.has(error.statusCode);
        if (!retriable || attempt >= maxAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, { baseMs: 200, maxMs: 2_000 })));
      }
    }
  }

  /**
   * A Kubernetes Event about the namespace. Events about a cluster-scoped object live in
   * `default`, where client-go's recorder puts them:
   * `kubectl get events -n default --field-selector involvedObject.name=<namespace>`.
   */
  async recordEvent(namespace: string, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const uid = this.cluster.namespaces.get('', namespace)?.metadata.uid;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${namespace}.netpol-hygiene.`, namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Namespace', name: namespace, uid },
      reason,
      message: message.slice(0, 1024),
      type: 'Normal',
      source: { component: managerName },
      reportingComponent: managerName,
      reportingInstance: process.env.POD_NAME ?? managerName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.limiter?.acquire();
      await this.api.request('POST', '/api/v1/namespaces/default/events', { body: event });
    } catch (error) {
      // An event is a courtesy; the audit record is the durable trace.
      this.log.warn({ namespace, err: (error as Error).message }, 'could not record event');
    }
  }
}
