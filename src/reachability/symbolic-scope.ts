import { parseSelector, type Selector } from './label-selector.ts';
import { namespaceNameLabel } from './model.ts';
import type { SelectorPeer } from './peers.ts';
import type { Policy } from './policy.ts';
import { implies, satisfiable } from './symbolic.ts';

/**
 * A set of pods described by selectors alone: pods whose labels match `pod`, in namespaces whose
 * labels match `namespace`. It covers every pod that could ever exist, not only today's, so a
 * policy can be judged before any pod matches it.
 */
export interface PodScope {
  readonly namespace: Selector;
  readonly pod: Selector;
}

/** Every namespace carries kubernetes.io/metadata.name (set by the API server), so it may be assumed. */
const namespaceFacts: readonly Selector[] = [{ requirements: [{ key: namespaceNameLabel, operator: 'Exists', values: [] }] }];

/** The namespace named `name`, as a selector on the label that names it. */
export function namespaceNamed(name: string): Selector {
  return parseSelector({ matchLabels: { [namespaceNameLabel]: name } }, '');
}

/** The pods a policy applies to: its podSelector in its own namespace. */
export function policyScope(policy: Policy): PodScope {
  return { namespace: namespaceNamed(policy.namespace), pod: policy.podSelector };
}

/** The pods a selector peer covers; a peer without namespaceSelector means the policy's namespace. */
export function peerScope(peer: SelectorPeer, policyNamespace: string): PodScope {
  return { namespace: peer.namespaceSelector ?? namespaceNamed(policyNamespace), pod: peer.podSelector };
}

/** Could some pod (in some namespace) be in both scopes? */
export function scopesOverlap(a: PodScope, b: PodScope): boolean {
  return satisfiable(a.namespace, b.namespace, ...namespaceFacts) && satisfiable(a.pod, b.pod);
}

/** Is every pod that could ever be in `a` also in `b`? True when `a` can hold no pod. */
export function scopeWithin(a: PodScope, b: PodScope): boolean {
  if (!satisfiable(a.namespace, ...namespaceFacts) || !satisfiable(a.pod)) return true;
  return implies(a.namespace, b.namespace, namespaceFacts) && implies(a.pod, b.pod);
}
