import { profileFor } from '../config/profiles.ts';
import type { Config } from '../config/types.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { formatViolation, type Violation } from '../kube/violation.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { parsePolicy } from '../reachability/policy.ts';
import { describeWidening } from './describe.ts';
import { PolicyTooLargeError, tooLargeToJudge, widenings } from './judge.ts';
import { ceilingFor } from './model.ts';

/** Which policy, where: `name` as messages show it (`NetworkPolicy "open-db"`). */
export interface JudgedPolicy {
  readonly object: NetworkPolicy;
  readonly name: string;
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>> | undefined;
}

/**
 * NP-CEILING's violations for a policy, one per rule beyond its namespace's ceiling; none when
 * it is within. A policy that cannot be judged (too large, or one the engine refuses) gets one.
 */
export function ceilingViolations(judged: JudgedPolicy, config: Config): Violation[] {
  const { name: profileName, profile } = profileFor(judged.namespaceLabels, config);
  const ceiling = ceilingFor(judged.namespace, profileName, profile, config);
  const subject = `NetworkPolicy "${judged.name}" in namespace "${judged.namespace}"`;
  const admins = `or ask a member of ${config.adminGroups.join(', ')}`;
  try {
    if (tooLargeToJudge(judged.object.spec)) throw new PolicyTooLargeError();
    const policy = parsePolicy({ ...judged.object, metadata: { ...judged.object.metadata, name: judged.name, namespace: judged.namespace } });
    return widenings(policy, ceiling).map((widening) => {
      const words = describeWidening(widening, ceiling);
      return { rule: 'NP-CEILING', reason: `${subject} ${words.asked}`, detail: words.allowed, fix: `${words.narrow}, ${admins}` };
    });
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
