import { profileFor } from '../config/profiles.ts';
import type { Config } from '../config/types.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { parsePolicy, type Policy } from '../reachability/policy.ts';
import { describeWidening } from './describe.ts';
import { PolicyTooLargeError, tooLargeToJudge, widenings } from './judge.ts';
import { type Ceiling, ceilingFor } from './model.ts';

/** Which policy, where: `name` as messages show it (`NetworkPolicy "open-db"`). */
export interface JudgedPolicy {
  readonly object: NetworkPolicy;
  readonly name: string;
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>> | undefined;
}

/**
 * NP-CEILING's messages for a policy, one per rule beyond its namespace's ceiling; none when it
 * is within. A policy that cannot be judged (too large, or one the engine refuses) gets one.
 */
export function ceilingMessages(judged: JudgedPolicy, config: Config): string[] {
  const { name: profileName, profile } = profileFor(judged.namespaceLabels, config);
  const ceiling = ceilingFor(judged.namespace, profileName, profile, config);
  const subject = `NP-CEILING: NetworkPolicy "${judged.name}" in namespace "${judged.namespace}"`;
  const admins = `or ask a member of ${config.adminGroups.join(', ')}`;
  try {
    if (tooLargeToJudge(judged.object.spec)) throw new PolicyTooLargeError();
    const policy = parsePolicy({ ...judged.object, metadata: { ...judged.object.metadata, name: judged.name, namespace: judged.namespace } });
    return judge(policy, ceiling).map((body) => `${subject} ${body}, ${admins}`);
  } catch (error) {
    const reason = unjudgeable(error);
    return [`${subject} cannot be judged against profile "${profileName}": ${reason}, ${admins}`];
  }
}

function judge(policy: Policy, ceiling: Ceiling): string[] {
  return widenings(policy, ceiling).map((widening) => describeWidening(widening, ceiling));
}

function unjudgeable(error: unknown): string {
  if (error instanceof PolicyTooLargeError) return `${error.message}; split it into smaller policies`;
  if (error instanceof InvalidPolicyError) return `${error.message.replace(/^[^:]*: /, '')}; fix the policy`;
  throw error;
}
