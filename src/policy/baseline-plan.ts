import { isDeepStrictEqual } from 'node:util';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { isManaged } from './baseline.ts';

/** How a namespace's policies stand against its rendered baseline, policy by policy. */
export interface BaselinePlan {
  /** Wanted, absent: to be created. */
  readonly create: NetworkPolicy[];
  /** Wanted, present and managed, with another spec: the wanted policy, to be restored. */
  readonly restore: NetworkPolicy[];
  readonly unchanged: NetworkPolicy[];
  /** Same-named policies netpol-hygiene does not manage: left alone. */
  readonly foreign: NetworkPolicy[];
  /** Managed policies the profile no longer has. */
  readonly obsolete: NetworkPolicy[];
}

/**
 * Compares what a namespace holds with what its profile renders. The one judgement of
 * "complete, missing, edited" for the applier (which acts on it) and the posture report
 * (which shows it).
 */
export function planBaseline(existing: readonly NetworkPolicy[], wanted: readonly NetworkPolicy[]): BaselinePlan {
  const byName = new Map(existing.map((p) => [p.metadata?.name ?? '', p]));
  const wantedNames = new Set(wanted.map((p) => p.metadata?.name ?? ''));
  const plan: BaselinePlan = { create: [], restore: [], unchanged: [], foreign: [], obsolete: [] };
  for (const policy of wanted) {
    const current = byName.get(policy.metadata?.name ?? '');
    if (current === undefined) plan.create.push(policy);
    else if (!isManaged(current)) plan.foreign.push(current);
    else if (isDeepStrictEqual(current.spec, policy.spec)) plan.unchanged.push(current);
    else plan.restore.push(policy);
  }
  // Managed policies the profile no longer has (a changed profile or config).
  for (const [name, current] of byName) if (isManaged(current) && !wantedNames.has(name)) plan.obsolete.push(current);
  return plan;
}
