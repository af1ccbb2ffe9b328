/** Phrases and tests the text and HTML posture share. */
import type { NamespacePosture } from './model.ts';

/** `1 policy`, `2 policies`. */
export function countOf(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Anything a reviewer should look at: an incomplete baseline, a policy above the ceiling, a pod's tier, an unmanaged policy. */
export function hasFindings(ns: NamespacePosture): boolean {
  return ns.baseline !== 'complete' || ns.aboveCeiling.length + ns.tierProblems.length + ns.unmanaged.length > 0;
}

/** What the posture chart stacks: each needs someone to act. Unmanaged policies within the ceiling do not. */
export const postureProblems = ['missing', 'edited', 'foreign', 'obsolete', 'above-ceiling', 'bad-tier'] as const;
export type PostureProblem = (typeof postureProblems)[number];

export function problemCounts(ns: NamespacePosture): Record<PostureProblem, number> {
  return {
    missing: ns.missing.length,
    edited: ns.edited.length,
    foreign: ns.foreign.length,
    obsolete: ns.obsolete.length,
    'above-ceiling': ns.aboveCeiling.length,
    'bad-tier': ns.tierProblems.length,
  };
}
