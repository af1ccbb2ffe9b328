import type { Config, Profile, TierIngress } from './types.ts';
import { labels } from '../kube/vocabulary.ts';

// Pure helpers over a loaded config: no file is read and no schema compiled here, so the
// rules can import them without the loader (src/config/load.ts).

/**
 * A configured profile by name. Profiles live in a plain object, so a label value such as
 * `constructor` must not find Object.prototype's members.
 */
export function profileNamed(config: Config, name: string): Profile | undefined {
  return Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined;
}

/** The NetworkPolicy name of a tier's ingress rule: `policyName`, else `allow-ingress-to-<tier>`. */
export function tierPolicyName(ingress: TierIngress): string {
  return ingress.policyName ?? `allow-ingress-to-${ingress.tier}`;
}

/** The profile name that means "opt out"; it is never a configurable profile. */
export const optOutProfile = 'none';

/** The profile a namespace is governed by; an unknown or missing label means the default. */
export function profileFor(namespaceLabels: Readonly<Record<string, string>> | undefined, config: Config): { name: string; profile: Profile } {
  const requested = namespaceLabels?.[labels.profile];
  const name = requested !== undefined && profileNamed(config, requested) !== undefined ? requested : config.defaultProfile;
  return { name, profile: profileNamed(config, name) as Profile };
}
