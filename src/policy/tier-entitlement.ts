import type { AdmissionRequest, KubeObject } from '../kube/admission-review.ts';
import type { Config, TierEntitlement } from '../config/types.ts';
import { joinWords } from '../ceiling/ports.ts';
import { describeObject } from './decision.ts';
import type { Violation } from '../kube/violation.ts';
import { globMatches } from './tier-inference.ts';
import { annotations } from '../kube/vocabulary.ts';

/** What an entitlement reads of a pod: who it runs as, where, and what it runs. */
export interface PodIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly images: readonly string[];
}

interface PodSpecShape {
  readonly serviceAccountName?: string;
  readonly serviceAccount?: string;
  readonly containers?: readonly { readonly image?: string }[];
  readonly initContainers?: readonly { readonly image?: string }[];
  readonly ephemeralContainers?: readonly { readonly image?: string }[];
}

/** The ServiceAccount admission plugin sets `default` before webhooks run; an unset one is `default` too. */
export function podIdentity(pod: KubeObject, namespace: string): PodIdentity {
  const spec = (pod.spec ?? {}) as PodSpecShape;
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  return {
    namespace,
    serviceAccount: spec.serviceAccountName || spec.serviceAccount || 'default',
    images: containers.map((container) => container.image ?? ''),
  };
}

/**
 * May this pod carry `tier`? A tier without entitlements is open. An entry entitles when every
 * field it gives matches; images must all match, or a sidecar would ride on another image's
 * entitlement.
 */
export function isEntitled(tier: string, identity: PodIdentity, config: Config): boolean {
  const entries = entitlementsOf(tier, config);
  return entries === undefined || entries.some((entry) => entryMatches(entry, identity));
}

function entitlementsOf(tier: string, config: Config): readonly TierEntitlement[] | undefined {
  const all = config.tierEntitlements ?? {};
  return Object.hasOwn(all, tier) ? all[tier] : undefined;
}

function entryMatches(entry: TierEntitlement, identity: PodIdentity): boolean {
  if (entry.serviceAccounts !== undefined && !entry.serviceAccounts.includes(identity.serviceAccount)) return false;
  if (entry.namespaces !== undefined && !entry.namespaces.includes(identity.namespace)) return false;
  const images = entry.images;
  return images === undefined || (identity.images.length > 0 && identity.images.every((image) => images.some((glob) => globMatches(glob, image))));
}

/**
 * POD-TIER entitlement for the tier the pod's label now names (the mutating webhook has set it
 * on CREATE): refused when no entry of that tier matches. `source` says where the tier came from.
 */
export function entitlementViolation(pod: KubeObject, request: AdmissionRequest, config: Config, source?: string): Violation | undefined {
  const tier = pod.metadata?.labels?.[config.tierLabel.key];
  const namespace = request.namespace ?? '';
  const identity = podIdentity(pod, namespace);
  if (tier === undefined || isEntitled(tier, identity, config)) return undefined;
  const key = config.tierLabel.key;
  const from = source ?? recordedSource(pod, config);
  const entries = (entitlementsOf(tier, config) ?? []).map(describeEntry).join(', or ');
  return {
    rule: 'POD-TIER',
    reason:
      `${describeObject('pod', pod, request)} in namespace "${namespace}" would carry ${key}=${tier} (from ${from}), ` +
      `which its service account "${identity.serviceAccount}" and images ${identity.images.join(', ') || '(none)'} are not entitled to`,
    detail: `${key}=${tier} is only for ${entries}`,
    fix: `run it as such a pod, ${otherTiers(tier, identity, config)}or have it entitled in the netpol-hygiene config (tierEntitlements)`,
  };
}

/** Where the mutating webhook found the tier; a pod it did not label carries its own. */
function recordedSource(pod: KubeObject, config: Config): string {
  const recorded = pod.metadata?.annotations?.[annotations.tierSource];
  // The pod's author can write this annotation: only a source the webhook itself records is quoted.
  const known = ['label', 'annotation', 'namespace-default', 'default', ...config.tierRules.map((rule) => `rule:${rule.name}`)];
  return recorded !== undefined && known.includes(recorded) ? recorded : 'label';
}

/** `carry another tier it is entitled to (tier=ui, tier=business), `, or nothing when there is none. */
function otherTiers(tier: string, identity: PodIdentity, config: Config): string {
  const key = config.tierLabel.key;
  const open = config.tierLabel.values.filter((other) => other !== tier && isEntitled(other, identity, config));
  return open.length === 0 ? '' : `carry another tier it is entitled to (${open.map((t) => `${key}=${t}`).join(', ')}), `;
}

/** `service account db-writer with images matching registry.example.com/postgres:* in products-prod`. */
function describeEntry(entry: TierEntitlement): string {
  const accounts = entry.serviceAccounts === undefined ? undefined : `service account ${orList(entry.serviceAccounts)}`;
  const images = entry.images === undefined ? undefined : `images matching ${orList(entry.images)}`;
  const who = accounts === undefined ? (images === undefined ? 'any pod' : `pods with ${images}`) : images === undefined ? accounts : `${accounts} with ${images}`;
  return entry.namespaces === undefined ? who : `${who} in ${orList(entry.namespaces)}`;
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? joinWords(items) : `${items.slice(0, -1).join(', ')} or ${items.at(-1) as string}`;
}
