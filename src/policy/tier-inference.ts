import type { Config, TierRule } from '../config/types.ts';
import type { KubeObject } from '../kube/admission-review.ts';
import { annotations, labels } from '../kube/vocabulary.ts';

export type TierSource = 'label' | 'annotation' | `rule:${string}` | 'namespace-default' | 'default';

export type TierInference =
  | { readonly kind: 'found'; readonly tier: string; readonly source: TierSource }
  /** The first source that spoke named a value outside tierLabel.values. */
  | { readonly kind: 'invalid'; readonly value: string; readonly source: TierSource }
  | { readonly kind: 'none' };

interface PodShape {
  readonly spec?: {
    readonly serviceAccountName?: string;
    readonly containers?: readonly { readonly image?: string; readonly ports?: readonly { readonly containerPort?: number }[] }[];
  };
}

/**
 * DESIGN.md "Tier inference": the first source that names a tier wins. `namespaceLabels` is
 * called only when the earlier sources are silent, so pods with a label, annotation or rule
 * match never need cluster state.
 */
export function inferTier(
  pod: KubeObject,
  namespace: string,
  namespaceLabels: () => Readonly<Record<string, string>> | undefined,
  config: Config,
): TierInference {
  const own = pod.metadata?.labels?.[config.tierLabel.key];
  if (own !== undefined) return judged(own, 'label', config);
  const annotated = pod.metadata?.annotations?.[annotations.tier];
  if (annotated !== undefined) return judged(annotated, 'annotation', config);
  const rule = config.tierRules.find((candidate) => ruleMatches(candidate, pod as PodShape & KubeObject, namespace));
  if (rule !== undefined) return { kind: 'found', tier: rule.tier, source: `rule:${rule.name}` };
  const namespaceDefault = namespaceLabels()?.[labels.defaultTier];
  if (namespaceDefault !== undefined) return judged(namespaceDefault, 'namespace-default', config);
  if (config.defaultTier !== undefined) return { kind: 'found', tier: config.defaultTier, source: 'default' };
  return { kind: 'none' };
}

function judged(value: string, source: TierSource, config: Config): TierInference {
  return config.tierLabel.values.includes(value) ? { kind: 'found', tier: value, source } : { kind: 'invalid', value, source };
}

function ruleMatches(rule: TierRule, pod: PodShape & KubeObject, namespace: string): boolean {
  const { labels: wantedLabels, images, ports, serviceAccounts, namespaces } = rule.match;
  const containers = pod.spec?.containers ?? [];
  const podLabels = pod.metadata?.labels ?? {};
  if (wantedLabels !== undefined && !Object.entries(wantedLabels).every(([key, value]) => podLabels[key] === value)) return false;
  if (images !== undefined && !containers.some((c) => c.image !== undefined && images.some((glob) => globMatches(glob, c.image as string)))) return false;
  if (ports !== undefined && !containers.some((c) => (c.ports ?? []).some((p) => p.containerPort !== undefined && ports.includes(p.containerPort)))) return false;
  if (serviceAccounts !== undefined && !serviceAccounts.includes(pod.spec?.serviceAccountName ?? 'default')) return false;
  if (namespaces !== undefined && !namespaces.includes(namespace)) return false;
  return true;
}

const globCache = new Map<string, RegExp>();

/**
 * `*` matches any run of characters, `/` and `:` included, so `*nginx*` matches
 * `docker.io/library/nginx:1.27`; `?` matches one character.
 */
export function globMatches(glob: string, value: string): boolean {
  let pattern = globCache.get(glob);
  if (pattern === undefined) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    pattern = new RegExp(`^${body}$`);
    globCache.set(glob, pattern);
  }
  return pattern.test(value);
}
