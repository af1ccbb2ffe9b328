import type { NetworkPolicy } from '../kube/network-policy.ts';
import { type ClusterPolicy, parseClusterPolicy } from './cluster-policy.ts';
import type { ClusterNetworkPolicyWire } from './cluster-policy-wire.ts';
import type { NamespaceLabels } from './peers.ts';
import { parsePolicy, type Policy } from './policy.ts';
import { type Labels, type NamespaceInfo, namespaceNameLabel, type NodeInfo, type PodInfo, podKey } from './model.ts';

/** Everything a verdict reads, indexed once: policies by namespace, pods by name and IP. */
export interface World {
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>;
  /** Sorted by namespace, then name: the matrix's row and column order. */
  readonly pods: readonly PodInfo[];
  readonly policies: readonly Policy[];
  readonly policiesByNamespace: ReadonlyMap<string, readonly Policy[]>;
  /** ClusterNetworkPolicies of both tiers; each side's evaluation picks those whose subject holds its pod. */
  readonly clusterPolicies: readonly ClusterPolicy[];
  /** Nodes, for `nodes` peers; without them such a peer matches no address. */
  readonly nodes: readonly NodeInfo[];
  readonly podsByKey: ReadonlyMap<string, PodInfo>;
  readonly podsByIp: ReadonlyMap<string, PodInfo>;
  readonly namespaceLabels: NamespaceLabels;
}

export interface WorldInput {
  readonly namespaces?: readonly NamespaceInfo[];
  readonly pods?: readonly PodInfo[];
  /** Raw NetworkPolicies (parsed here, which throws InvalidPolicyError) or already parsed ones. */
  readonly policies?: readonly (NetworkPolicy | Policy)[];
  /** Raw ClusterNetworkPolicies (parsed here, which throws InvalidPolicyError) or already parsed ones. */
  readonly clusterPolicies?: readonly (ClusterNetworkPolicyWire | ClusterPolicy)[];
  readonly nodes?: readonly NodeInfo[];
}

export function buildWorld(input: WorldInput): World {
  const namespaces = new Map<string, NamespaceInfo>();
  for (const namespace of input.namespaces ?? []) namespaces.set(namespace.name, withNameLabel(namespace));
  const pods = [...(input.pods ?? [])].sort(comparePods);
  for (const pod of pods) if (!namespaces.has(pod.namespace)) namespaces.set(pod.namespace, withNameLabel({ name: pod.namespace, labels: {} }));
  const policies = (input.policies ?? []).map((policy) => ('isolates' in policy ? policy : parsePolicy(policy)));
  const clusterPolicies = (input.clusterPolicies ?? []).map((policy) => ('subject' in policy ? policy : parseClusterPolicy(policy)));
  return { ...index(namespaces, pods, policies), clusterPolicies, nodes: input.nodes ?? [] };
}

function index(namespaces: Map<string, NamespaceInfo>, pods: readonly PodInfo[], policies: readonly Policy[]): Omit<World, 'clusterPolicies' | 'nodes'> {
  const policiesByNamespace = new Map<string, Policy[]>();
  for (const policy of policies) {
    const list = policiesByNamespace.get(policy.namespace);
    if (list === undefined) policiesByNamespace.set(policy.namespace, [policy]);
    else list.push(policy);
  }
  return {
    namespaces,
    pods,
    policies,
    policiesByNamespace,
    podsByKey: new Map(pods.map((pod) => [podKey(pod), pod])),
    podsByIp: podsByUniqueIp(pods),
    namespaceLabels: (name: string): Labels => namespaces.get(name)?.labels ?? { [namespaceNameLabel]: name },
  };
}

/** An IP that several pods share (hostNetwork pods have their node's) names none of them. */
function podsByUniqueIp(pods: readonly PodInfo[]): Map<string, PodInfo> {
  const byIp = new Map<string, PodInfo | undefined>();
  for (const pod of pods) for (const ip of pod.ips) byIp.set(ip, byIp.has(ip) ? undefined : pod);
  return new Map([...byIp].filter((entry): entry is [string, PodInfo] => entry[1] !== undefined));
}

/** The API server sets kubernetes.io/metadata.name on every namespace, so selectors may rely on it. */
function withNameLabel(namespace: NamespaceInfo): NamespaceInfo {
  return { name: namespace.name, labels: { ...namespace.labels, [namespaceNameLabel]: namespace.name } };
}

function comparePods(a: PodInfo, b: PodInfo): number {
  return a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
