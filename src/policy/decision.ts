import type { NetworkPolicy } from '../kube/network-policy.ts';
import type { AdmissionRequest, KubeObject } from '../kube/admission-review.ts';
import type { Config } from '../config/types.ts';
import type { RuleId } from '../kube/vocabulary.ts';
import type { Violation } from '../kube/violation.ts';

/**
 * Something a rule needs done before its answer is final; the admission handler carries it
 * out and asks the rules again. POD-PROTECTED: apply the baseline to the pod's namespace.
 */
export interface ApplyBaseline {
  readonly kind: 'apply-baseline';
  readonly namespace: string;
  /** The rule whose violation the attempt answers, and whose message says when it fails. */
  readonly rule: RuleId;
}

export type Intent = ApplyBaseline;

/** What one rule, or all the rules registered for a request, concluded; made a response only by the handler. */
export interface RuleResult {
  readonly violations: readonly Violation[];
  /** The edited clone of request.object, when a mutating rule changed it. */
  readonly mutated?: KubeObject;
  /** Why a change was made (e.g. `tier=ui from rule:web`), for the audit record. */
  readonly reasons: readonly string[];
  readonly intents?: readonly Intent[];
}

export const noViolations: RuleResult = { violations: [], reasons: [] };

/** A result with these violations and nothing else. */
export function violating(violations: readonly Violation[]): RuleResult {
  return { violations, reasons: [] };
}

/** The slice of a Namespace the rules read. */
export interface NamespaceView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly terminating: boolean;
}

/**
 * Cluster state the rules may read. Implementations throw ClusterStateUnavailableError when
 * they cannot answer, so rules that need no state still decide and the rest fail closed.
 */
export interface ClusterState {
  namespace(name: string): NamespaceView | undefined;
  networkPolicies(namespace: string): readonly NetworkPolicy[];
}

export class ClusterStateUnavailableError extends Error {
  constructor(reason: string) {
    super(`cluster state is unavailable (${reason}); the decision needs it, so the request is refused until the API server can be read again`);
    this.name = 'ClusterStateUnavailableError';
  }
}

export interface RuleContext {
  readonly config: Config;
  readonly cluster: ClusterState;
}

/** One rule's check: pure, reading only the request and the context. */
export type Check = (request: AdmissionRequest, context: RuleContext) => RuleResult;

/** `pod "web-7f9c"`, or `pod "web-7f9c-*"` before the API server has generated the name. */
export function describeObject(kind: string, object: KubeObject | null | undefined, request: AdmissionRequest): string {
  const meta = object?.metadata;
  const name = meta?.name ?? request.name;
  if (name !== undefined && name !== '') return `${kind} "${name}"`;
  if (meta?.generateName !== undefined) return `${kind} "${meta.generateName}*"`;
  return `${kind} (unnamed)`;
}

export function isAdmin(request: AdmissionRequest, config: Config): boolean {
  return (request.userInfo.groups ?? []).some((group) => config.adminGroups.includes(group));
}

export function webhookServiceAccountUser(config: Config): string {
  return `system:serviceaccount:${config.webhook.namespace}:${config.webhook.serviceAccount}`;
}
