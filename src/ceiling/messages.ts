import { profileFor } from '../config/profiles.ts';
import type { Config } from '../config/types.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { formatViolation, type Violation } from '../kube/violation.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { parsePolicy } from '../reachability/policy.ts';
import { quoteList } from './brief.ts';
import { describeWidening } from './describe.ts';
import { PolicyTooLargeError, tooLargeToJudge, widenings } from './judge.ts';
import { ceilingFor } from './model.ts';

/**
 * Rules described one by one in a policy's violations; the rest are counted in one more. The
 * first few tell a user what to change, and a policy of thousands of rules must not make a
 * denial of megabytes (brief.ts).
 */
export const maxListedRules = 5;

/** Which policy, where: `name` as messages show it (`NetworkPolicy "open-db"`). */
export interface JudgedPolicy {
  readonly object: NetworkPolicy;
  readonly name: string;
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>> | undefined;
}

/**
 * NP-CEILING's violations for a policy, one per rule beyond its namespace's ceiling (the first
 * few, then one that counts the rest); none when it is within. A policy that cannot be judged
 * (too large, or one the engine refuses) gets one.
 */
export function ceilingViolations(judged: JudgedPolicy, config: Config): Violation[] {
  const { name: profileName, profile } = profileFor(judged.namespaceLabels, config);
  const ceiling = ceilingFor(judged.namespace, profileName, profile, config);
  const subject = `NetworkPolicy "${judged.name}" in namespace "${judged.namespace}"`;
  const admins = `or ask a member of ${config.adminGroups.join(', ')}`;
  try {
    if (tooLargeToJudge(judged.object.spec)) throw new PolicyTooLargeError();
    const policy = parsePolicy({ ...judged.object, metadata: { ...judged.object.metadata, name: judged.name, namespace: judged.namespace } });
    const found = widenings(policy, ceiling);
    const listed = found.slice(0, maxListedRules).map((widening): Violation => {
      const words = describeWidening(widening, ceiling);
      return { rule: 'NP-CEILING', reason: `${subject} ${words.asked}`, detail: words.allowed, fix: `${words.narrow}, ${admins}` };
    });
    const unlisted = found.slice(maxListedRules);
    if (unlisted.length === 0) return listed;
    const fields = quoteList(unlisted.map(({ direction, rule }) => `spec.${direction}[${rule}]`), ', ');
    return [...listed, { rule: 'NP-CEILING', reason: `${subject} has ${unlisted.length} more rules beyond profile "${profileName}", not described here: ${fields}`, fix: `narrow them as well, ${admins}` }];
  } catch (error) {
    const { reason, fix } = unjudgeable(error);
    return [{ rule: 'NP-CEILING', reason: `${subject} cannot be judged against profile "${profileName}": ${reason}`, fix: `${fix}, ${admins}` }];
  }
}

/** The same, as the text users read: for the reconciler's report of policies already above their ceiling. */
export function ceilingMessages(judged: JudgedPolicy, config: Config): string[] {
  return ceilingViolations(judged, config).map(formatViolation);
}

function unjudgeable(error: unknown): { reason: string; fix: string } {
  if (error instanceof PolicyTooLargeError) return { reason: error.message, fix: 'split it into smaller policies' };
  if (error instanceof InvalidPolicyError) return { reason: error.message.replace(/^[^:]*: /, ''), fix: 'fix the policy' };
  throw error;
}
