import type { NetworkPolicy } from '../kube/network-policy.ts';
import { type ClusterPolicy, parseClusterPolicy } from './cluster-policy.ts';
import { type ClusterNetworkPolicyWire, isClusterNetworkPolicy } from './cluster-policy-wire.ts';
import { InvalidPolicyError } from './errors.ts';
import type { ContainerPort, Labels, NamespaceInfo, NodeInfo, PodInfo, Protocol } from './model.ts';
import { parsePolicy, type Policy } from './policy.ts';

/** Kubernetes objects read from one source (a file, or the API server), with where they came from. */
export interface SourcedObjects {
  readonly source: string;
  readonly objects: readonly unknown[];
}

export interface Inventory {
  readonly namespaces: NamespaceInfo[];
  readonly pods: PodInfo[];
  readonly policies: Policy[];
  readonly clusterPolicies: ClusterPolicy[];
  readonly nodes: NodeInfo[];
}

type KubeObject = {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly items?: unknown;
  readonly metadata?: { readonly name?: unknown; readonly namespace?: unknown; readonly labels?: unknown };
  readonly spec?: unknown;
  readonly status?: unknown;
};

/**
 * Namespaces, Pods, NetworkPolicies, ClusterNetworkPolicies and Nodes out of whatever the input holds: `kind: List` and
 * `*List` responses are unpacked, every other kind (Deployments, Services, …) is skipped.
 * An object given twice (same kind, namespace and name) is the later one, as `kubectl apply`
 * of the same inputs would leave it. A policy the API server would refuse stops the reading,
 * named with its source.
 */
export function inventoryOf(sources: readonly SourcedObjects[]): Inventory {
  const inventory: Inventory = { namespaces: [], pods: [], policies: [], clusterPolicies: [], nodes: [] };
  for (const { source, objects } of sources) for (const object of objects) collect(inventory, source, object);
  return {
    namespaces: lastByKey(inventory.namespaces, (n) => n.name),
    pods: lastByKey(inventory.pods, (p) => `${p.namespace}/${p.name}`),
    policies: lastByKey(inventory.policies, (p) => p.key),
    clusterPolicies: lastByKey(inventory.clusterPolicies, (p) => p.name),
    nodes: lastByKey(inventory.nodes, (n) => n.name),
  };
}

function lastByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

function collect(inventory: Inventory, source: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) collect(inventory, source, item);
    return;
  }
  const object = value as KubeObject;
  if (Array.isArray(object.items) && typeof object.kind === 'string' && object.kind.endsWith('List')) {
    for (const item of object.items) collect(inventory, source, item);
    return;
  }
  collectObject(inventory, source, object);
}

/** The kinds the engine needs; everything else is skipped. */
function collectObject(inventory: Inventory, source: string, object: KubeObject): void {
  if (object.kind === 'Namespace') inventory.namespaces.push({ name: String(object.metadata?.name ?? ''), labels: labelsOf(object) });
  if (object.kind === 'Pod' && !finished(object)) inventory.pods.push(podOf(object));
  if (object.kind === 'NetworkPolicy') inventory.policies.push(sourced(source, () => parsePolicy(object as NetworkPolicy)));
  if (isClusterNetworkPolicy(object)) inventory.clusterPolicies.push(sourced(source, () => parseClusterPolicy(object as ClusterNetworkPolicyWire), 'ClusterNetworkPolicy'));
  if (object.kind === 'Node') inventory.nodes.push(nodeOf(object));
}

/** Parses, naming the source in what a refusal says. */
function sourced<T>(source: string, parse: () => T, kind: InvalidPolicyError['kind'] = 'NetworkPolicy'): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidPolicyError) throw new InvalidPolicyError(`${source}: ${error.path}`, error.message.slice(error.path.length + 2), kind);
    throw error;
  }
}

/** A Node's addresses (InternalIP, ExternalIP; host names never match an address) for `nodes` peers. */
function nodeOf(object: KubeObject): NodeInfo {
  const addresses = (object as { status?: { addresses?: readonly { address?: unknown }[] } }).status?.addresses ?? [];
  return { name: String(object.metadata?.name ?? ''), labels: labelsOf(object), addresses: addresses.map((a) => String(a.address ?? '')).filter((a) => a !== '') };
}

function labelsOf(object: KubeObject): Labels {
  const labels = object.metadata?.labels;
  if (typeof labels !== 'object' || labels === null) return {};
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
}

interface PodFields {
  readonly spec?: { readonly containers?: readonly ContainerFields[]; readonly initContainers?: readonly ContainerFields[]; readonly hostNetwork?: boolean };
  readonly status?: { readonly phase?: string; readonly podIP?: string; readonly podIPs?: readonly { readonly ip?: string }[] };
}

interface ContainerFields {
  readonly restartPolicy?: string;
  readonly ports?: readonly { readonly name?: string; readonly containerPort?: number; readonly protocol?: string }[];
}

/** A pod that has run to completion (a Job's, say) takes no connections and is left out. */
function finished(object: KubeObject): boolean {
  const phase = (object as PodFields).status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function podOf(object: KubeObject): PodInfo {
  const { spec, status } = object as PodFields;
  return {
    namespace: String(object.metadata?.namespace ?? 'default'),
    name: String(object.metadata?.name ?? ''),
    labels: labelsOf(object),
    ips: podIps(status),
    ports: containerPorts(spec),
    ...(spec?.hostNetwork === true ? { hostNetwork: true } : {}),
  };
}

/** status.podIPs (dual stack), else the older status.podIP. */
function podIps(status: PodFields['status']): string[] {
  const ips = (status?.podIPs ?? []).map((entry) => entry.ip).filter((ip): ip is string => typeof ip === 'string');
  if (ips.length > 0) return ips;
  return typeof status?.podIP === 'string' ? [status.podIP] : [];
}

function containerPorts(spec: PodFields['spec']): ContainerPort[] {
  // Sidecars (init containers that keep running) serve ports like any container.
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  return containers.flatMap((c) => c.ports ?? []).map((p): ContainerPort => ({
    ...(p.name === undefined ? {} : { name: p.name }),
    containerPort: Number(p.containerPort),
    protocol: (p.protocol ?? 'TCP') as Protocol,
  }));
}
