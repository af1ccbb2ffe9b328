import type { AdmissionRequest } from '../kube/admission-review.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import type { Violation } from '../kube/violation.ts';
import type { BaselineConverger, Convergence } from '../policy/baseline-convergence.ts';
import type { ApplyBaseline, ClusterState, RuleContext } from '../policy/decision.ts';
import { type Evaluation, evaluate } from '../policy/rules/registry.ts';
import type { RegisteredRule } from '../policy/rules/registration.ts';

export interface SelfHealDeps {
  readonly context: RuleContext;
  /** Absent when the webhook runs without write access: POD-PROTECTED then only reports. */
  readonly baseline?: BaselineConverger;
  /**
   * How long self-heal may take before the pod is refused with the reason. Below the
   * webhook's timeoutSeconds (5 s), so the user reads our message, not "context deadline
   * exceeded".
   */
  readonly selfHealTimeoutMs?: number;
}

const defaultSelfHealTimeoutMs = 3000;

/**
 * Carries out what the rules asked for, then asks them again. POD-PROTECTED self-heal: apply
 * the namespace's baseline synchronously, then decide against the policies as applied. On dry
 * run the baseline is rendered but not applied (no side effects), which gives the same answer
 * the real request would get. When applying fails, the asking rule's message says why.
 */
export async function carryOutIntents(request: AdmissionRequest, rules: readonly RegisteredRule[], first: Evaluation, deps: SelfHealDeps): Promise<Evaluation> {
  // POD-PROTECTED is the one rule that asks, once per request.
  const intent = first.intents?.[0];
  if (intent === undefined || deps.baseline === undefined) return first;
  const dryRun = request.dryRun === true;
  let result: Convergence;
  try {
    const work = deps.baseline.converge(intent.namespace, { dryRun, trigger: `pod admission ${request.uid}`, urgent: true });
    result = await withTimeout(work, deps.selfHealTimeoutMs ?? defaultSelfHealTimeoutMs);
  } catch (error) {
    return { ...first, violations: first.violations.map((v) => (v.rule === intent.rule ? withFailure(v, error as Error) : v)) };
  }
  const second = evaluate(rules, request, { ...deps.context, cluster: withPolicies(deps.context.cluster, intent.namespace, result.policies) });
  return { ...second, intents: undefined, reasons: [...second.reasons, appliedReason(intent, result, dryRun)] };
}

function withFailure(violation: Violation, error: Error): Violation {
  return { ...violation, fix: `${violation.fix ?? ''} (applying the baseline failed: ${error.message})` };
}

function appliedReason(intent: ApplyBaseline, result: Convergence, dryRun: boolean): string {
  const verb = dryRun ? 'would apply (dry run)' : 'applied';
  if (result.changed.length === 0) return `the baseline of namespace "${intent.namespace}" was already in place (applied concurrently)`;
  return `${verb} the baseline to namespace "${intent.namespace}": ${result.changed.join(', ')}`;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the API server did not confirm it within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The cluster as the rules should see it once `applied` is in place: same-named policies replaced. */
function withPolicies(cluster: ClusterState, namespace: string, applied: readonly NetworkPolicy[]): ClusterState {
  return {
    namespace: (name) => cluster.namespace(name),
    networkPolicies: (name) => {
      const existing = cluster.networkPolicies(name);
      if (name !== namespace) return existing;
      const appliedNames = new Set(applied.map((p) => p.metadata?.name));
      return [...existing.filter((p) => !appliedNames.has(p.metadata?.name)), ...applied];
    },
  };
}
