import type { NetworkPolicy } from '../kube/network-policy.ts';

export interface ConvergeOptions {
  readonly dryRun: boolean;
  /** What asked for it, for the audit record: `pod admission <uid>`, `namespace created`, ... */
  readonly trigger: string;
  /** A pod's admission waits on it: never queued behind the reconciler's client-side rate limit. */
  readonly urgent?: boolean;
}

/** The namespace's baseline policies as the API server now holds them, and the names changed. */
export interface Convergence {
  readonly policies: readonly NetworkPolicy[];
  readonly changed: readonly string[];
}

/**
 * Makes a namespace's baseline exist: creates what is missing, restores what was edited,
 * removes what the profile dropped. The one contract between the decisions that need a
 * baseline (pod self-heal, the reconciler) and what applies it (BaselineApplier).
 */
export interface BaselineConverger {
  converge(namespace: string, options: ConvergeOptions): Promise<Convergence>;
}
