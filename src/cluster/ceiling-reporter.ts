import { aboveCeilingAction, type AuditSink } from '../audit/audit-log.ts';
import { ceilingMessages } from '../ceiling/messages.ts';
import type { Config } from '../config/types.ts';
import { isManaged } from '../policy/baseline.ts';
import type { NamespaceView } from '../policy/decision.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';

/** Where a finding is also told to people who read Events (BaselineApplier in production). */
export interface EventRecorder {
  recordEvent(namespace: string, reason: string, message: string): Promise<void>;
}

export interface CeilingReporterDeps {
  readonly config: Config;
  readonly cache: {
    namespaces: { get(namespace: '', name: string): NamespaceView | undefined };
    policies: { list(namespace: string): NetworkPolicy[] };
  };
  readonly audit: AuditSink;
  readonly events: EventRecorder;
}

export const aboveCeilingReason = 'NetworkPolicyAboveCeiling';

/**
 * Policies that already allow more than their namespace's ceiling (created before the webhook,
 * by an admin, or under a ceiling since tightened) are reported, never deleted: one audit
 * record and one Event each, when first seen by this process and again only when what is
 * beyond the ceiling changes. Managed policies are the baseline itself and not reported.
 */
export class CeilingReporter {
  private readonly deps: CeilingReporterDeps;
  /** `namespace/name` → the messages last reported. */
  private readonly reported = new Map<string, string>();

  constructor(deps: CeilingReporterDeps) {
    this.deps = deps;
  }

  /** Judges every policy of the namespace as the caches hold it; returns the names reported now. */
  check(namespace: string, trigger: string): string[] {
    const above = this.aboveCeiling(namespace);
    for (const key of this.reported.keys()) if (key.startsWith(`${namespace}/`) && !above.has(key.slice(namespace.length + 1))) this.reported.delete(key);
    // Once per policy, and again only when what exceeds the ceiling changes.
    const fresh = [...above].filter(([name, message]) => this.reported.get(`${namespace}/${name}`) !== message);
    for (const [name, message] of fresh) {
      this.reported.set(`${namespace}/${name}`, message);
      this.report(namespace, name, message, trigger);
    }
    return fresh.map(([name]) => name);
  }

  /** The namespace's own policies that exceed its ceiling, with what exceeds it. */
  private aboveCeiling(namespace: string): Map<string, string> {
    const labels = this.deps.cache.namespaces.get('', namespace)?.labels;
    const above = new Map<string, string>();
    for (const policy of this.deps.cache.policies.list(namespace)) {
      if (isManaged(policy)) continue;
      const name = policy.metadata?.name ?? '';
      const messages = ceilingMessages({ object: policy, name, namespace, namespaceLabels: labels }, this.deps.config);
      if (messages.length > 0) above.set(name, messages.join('; '));
    }
    return above;
  }

  /** For /metrics: the policies above the ceiling as last judged, in namespaces that still exist. */
  count(): number {
    return [...this.reported.keys()].filter((key) => this.deps.cache.namespaces.get('', key.slice(0, key.indexOf('/'))) !== undefined).length;
  }

  private report(namespace: string, name: string, message: string, trigger: string): void {
    this.deps.audit.write({ event: 'repair', namespace, action: aboveCeilingAction, policies: [name], trigger, message: `existing policy reported, not changed: ${message}` });
    // Not awaited: an Event is a courtesy, the audit record is the durable trace.
    void this.deps.events.recordEvent(namespace, aboveCeilingReason, message);
  }
}
