import type { NetworkPolicy } from '../kube/network-policy.ts';
import type { AdmissionRequest, KubeObject } from '../kube/admission-review.ts';
import type { Config } from '../config/types.ts';
import type { RuleId } from '../kube/vocabulary.ts';

/** A rule's "no": the mode decides whether it becomes a denial, a warning or a record. */
export interface Violation {
  readonly rule: RuleId;
  readonly message: string;
}

/** What the rules concluded about one request; turned into a response only by the handler. */
export interface Decision {
  readonly violations: readonly Violation[];
  /** The edited clone of request.object, when a mutating rule changed it. */
  readonly mutated?: KubeObject;
  /** Why a change was made (e.g. `tier=ui from rule:web`), for the audit record. */
  readonly reasons: readonly string[];
  /** A namespace whose baseline must be applied before the decision is final (POD-PROTECTED). */
  readonly baselineNeeded?: string;
}

export const noViolations: Decision = { violations: [], reasons: [] };

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

export type Rule = (request: AdmissionRequest, context: RuleContext) => Decision;

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
