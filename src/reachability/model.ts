/**
 * What the reachability engine reasons about: namespaces, pods and the traffic between them,
 * reduced to the fields NetworkPolicy semantics read. Everything here is plain data; the
 * manifest and cluster readers build it, the engine never does I/O.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export const protocols: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export type Labels = Readonly<Record<string, string>>;

/** The label every namespace carries: the API server sets it to the namespace's name and keeps it so. */
export const namespaceNameLabel = 'kubernetes.io/metadata.name';

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
}

/** A container port; named ports in policies resolve against these. */
export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** status.podIPs (or status.podIP); empty for a pod not scheduled yet, which no ipBlock then matches. */
  readonly ips: readonly string[];
  readonly ports: readonly ContainerPort[];
  /**
   * spec.hostNetwork: the pod has its node's addresses. ClusterNetworkPolicy leaves such pods out
   * of subjects and of `pods`/`namespaces` peers; `networks` and `nodes` peers match their IPs.
   */
  readonly hostNetwork?: boolean;
}

/** A Node, for ClusterNetworkPolicy's `nodes` peers: its labels and status.addresses. */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Labels;
  readonly addresses: readonly string[];
}

/** One end of a connection: a pod in the cluster, or an address outside it. */
export type Endpoint = { readonly pod: PodInfo } | { readonly ip: string };

/** What is connected to: the destination's port (a container port for a pod) and protocol. */
export interface Traffic {
  readonly port: number;
  readonly protocol: Protocol;
}

export function podKey(pod: Pick<PodInfo, 'namespace' | 'name'>): string {
  return `${pod.namespace}/${pod.name}`;
}

export function endpointName(endpoint: Endpoint): string {
  return 'pod' in endpoint ? podKey(endpoint.pod) : endpoint.ip;
}
