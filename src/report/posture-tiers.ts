import type { Config } from '../config/types.ts';
import type { KubeObject } from '../kube/admission-review.ts';
import { isEntitled, podIdentity } from '../policy/tier-entitlement.ts';
import type { TierProblem } from './model.ts';

/**
 * What is wrong with a running pod's tier, or undefined. Every allow-policy selects on the tier
 * label, so a pod without a valid one is cut off, and one carrying a tier it is not entitled to
 * (created before the entitlement, or while the webhook was away) gets traffic meant for others.
 */
export function tierProblem(pod: KubeObject, namespace: string, config: Config): TierProblem | undefined {
  const name = pod.metadata?.name ?? '';
  const { key, values } = config.tierLabel;
  const tier = pod.metadata?.labels?.[key];
  if (tier === undefined) return { pod: name, tier: null, problem: 'missing', message: `pod "${name}" has no ${key} label` };
  if (!values.includes(tier)) return { pod: name, tier, problem: 'invalid', message: `pod "${name}" has ${key}=${tier}, which is not one of ${values.join(', ')}` };
  const identity = podIdentity(pod, namespace);
  if (isEntitled(tier, identity, config)) return undefined;
  const images = identity.images.join(', ') || '(none)';
  const message = `pod "${name}" has ${key}=${tier}, which its service account "${identity.serviceAccount}" and images ${images} are not entitled to`;
  return { pod: name, tier, problem: 'unentitled', message };
}

/** A pod that has run to completion (a Job's, say) takes no connections, so its tier does not matter. */
export function isFinished(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
