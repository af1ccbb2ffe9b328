/**
 * The ClusterNetworkPolicies `report --cluster` lists: each with its tier and priority and the
 * governed namespaces its subject reaches, since an Admin-tier policy decides before the
 * namespace's own NetworkPolicies and a Baseline-tier one after them (docs/cluster-network-policy.md).
 * Pure: the objects are read by the CLI.
 */
import { parseClusterPolicy } from '../reachability/cluster-policy.ts';
import type { ClusterNetworkPolicyWire } from '../reachability/cluster-policy-wire.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { selectorMatches } from '../reachability/label-selector.ts';
import { namespaceNameLabel } from '../reachability/model.ts';
import type { ClusterPolicyPosture } from './model.ts';

export interface GovernedNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
}

/** By tier (Admin first), then priority, then name: the order in which they are evaluated. */
export function clusterPolicyPostures(objects: readonly ClusterNetworkPolicyWire[], governed: readonly GovernedNamespace[]): ClusterPolicyPosture[] {
  return objects.map((object) => postureOf(object, governed)).sort(compare);
}

function postureOf(object: ClusterNetworkPolicyWire, governed: readonly GovernedNamespace[]): ClusterPolicyPosture {
  const name = object.metadata?.name ?? '';
  const tier = String(object.spec?.tier ?? '');
  const priority = Number(object.spec?.priority ?? 0);
  try {
    const policy = parseClusterPolicy(object);
    const reached = governed.filter((ns) => selectorMatches(policy.subject.namespace, { ...ns.labels, [namespaceNameLabel]: ns.name })).map((ns) => ns.name);
    return { name, tier: policy.tier, priority: policy.priority, namespaces: reached };
  } catch (error) {
    if (error instanceof InvalidPolicyError) return { name, tier, priority, namespaces: [], unreadable: error.message };
    throw error;
  }
}

function compare(a: ClusterPolicyPosture, b: ClusterPolicyPosture): number {
  if (a.tier !== b.tier) return a.tier === 'Admin' ? -1 : 1;
  return a.priority - b.priority || a.name.localeCompare(b.name);
}

/** The governed namespaces a policy's subject reaches, or why it cannot be read, as one phrase. */
export function describeReach(policy: ClusterPolicyPosture): string {
  if (policy.unreadable !== undefined) return `unreadable: ${policy.unreadable}`;
  return policy.namespaces.length === 0 ? 'none' : policy.namespaces.join(', ');
}
