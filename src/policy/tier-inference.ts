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
  const own = ownTier(pod, config);
  if (own !== undefined) return own;
  const rule = config.tierRules.find((candidate) => ruleMatches(candidate, pod as PodShape & KubeObject, namespace));
  if (rule !== undefined) return { kind: 'found', tier: rule.tier, source: `rule:${rule.name}` };
  const namespaceDefault = namespaceLabels()?.[labels.defaultTier];
  if (namespaceDefault !== undefined) return judged(namespaceDefault, 'namespace-default', config);
  if (config.defaultTier !== undefined) return { kind: 'found', tier: config.defaultTier, source: 'default' };
  return { kind: 'none' };
}

/** What the pod says itself: its tier label, else its tier annotation. */
function ownTier(pod: KubeObject, config: Config): TierInference | undefined {
  const own = pod.metadata?.labels?.[config.tierLabel.key];
  if (own !== undefined) return judged(own, 'label', config);
  const annotated = pod.metadata?.annotations?.[annotations.tier];
  return annotated === undefined ? undefined : judged(annotated, 'annotation', config);
}

function judged(value: string, source: TierSource, config: Config): TierInference {
  return config.tierLabel.values.includes(value) ? { kind: 'found', tier: value, source } : { kind: 'invalid', value, source };
}

type FieldMatcher = (match: TierRule['match'], pod: PodShape & KubeObject, namespace: string) => boolean;

/** One per field of a rule's `match`; a field the rule leaves out matches any pod. */
const fieldMatchers: readonly FieldMatcher[] = [
  ({ labels: wanted }, pod) => wanted === undefined || hasLabels(pod, wanted),
  ({ images }, pod) => images === undefined || (pod.spec?.containers ?? []).some((c) => runsAny(c.image, images)),
  ({ ports }, pod) => ports === undefined || (pod.spec?.containers ?? []).some((c) => exposesAny(c.ports, ports)),
  ({ serviceAccounts }, pod) => serviceAccounts === undefined || serviceAccounts.includes(pod.spec?.serviceAccountName ?? 'default'),
  ({ namespaces }, _pod, namespace) => namespaces === undefined || namespaces.includes(namespace),
];

/** A rule matches when every field it gives matches. */
function ruleMatches(rule: TierRule, pod: PodShape & KubeObject, namespace: string): boolean {
  return fieldMatchers.every((matches) => matches(rule.match, pod, namespace));
}

function runsAny(image: string | undefined, globs: readonly string[]): boolean {
  return image !== undefined && globs.some((glob) => globMatches(glob, image));
}

function hasLabels(pod: KubeObject, wanted: Readonly<Record<string, string>>): boolean {
  const podLabels = pod.metadata?.labels ?? {};
  return Object.entries(wanted).every(([key, value]) => podLabels[key] === value);
}

function exposesAny(containerPorts: readonly { readonly containerPort?: number }[] | undefined, ports: readonly number[]): boolean {
  return (containerPorts ?? []).some((p) => p.containerPort !== undefined && ports.includes(p.containerPort));
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
