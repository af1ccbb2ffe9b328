import { KubeApi, KubeApiError } from '../cluster/kube-api.ts';
import { clusterPolicyGroup, clusterPolicyVersions } from '../reachability/cluster-policy-wire.ts';
import type { SourcedObjects } from '../reachability/inventory.ts';

const collections = [
  { path: '/api/v1/namespaces', kind: 'Namespace' },
  { path: '/api/v1/pods', kind: 'Pod' },
  { path: '/apis/networking.k8s.io/v1/networkpolicies', kind: 'NetworkPolicy' },
] as const;

interface ListResponse {
  readonly items?: readonly Record<string, unknown>[];
  readonly metadata?: { readonly continue?: string };
}

interface GroupDiscovery {
  readonly versions?: readonly { readonly version?: string }[];
  readonly preferredVersion?: { readonly version?: string };
}

/**
 * Namespaces, pods, NetworkPolicies and, when the CRD is installed, ClusterNetworkPolicies (and
 * the Nodes their `nodes` peers select) of the live cluster, read with GET only (list, paged by
 * 500). List items carry no `kind`, so it is set from the collection.
 */
export async function readCluster(kubeconfig: string | undefined, context?: string): Promise<SourcedObjects[]> {
  const api = KubeApi.load(kubeconfig, context);
  try {
    const sources: SourcedObjects[] = [];
    for (const { path, kind } of collections) sources.push(await listed(api, path, { kind }));
    const clusterPolicies = await readClusterPolicies(api);
    if (clusterPolicies !== undefined) sources.push(clusterPolicies);
    if (clusterPolicies?.objects.some(selectsNodes) === true) sources.push(await listed(api, '/api/v1/nodes', { kind: 'Node' }));
    return sources;
  } finally {
    api.close();
  }
}

/** `type` sets what list items lack: kind always, apiVersion where the engine tells versions apart. */
async function listed(api: KubeApi, path: string, type: { kind: string; apiVersion?: string }): Promise<SourcedObjects> {
  return { source: `${api.connection.server}${path}`, objects: (await listAll(api, path)).map((item) => ({ ...item, ...type })) };
}

/**
 * The ClusterNetworkPolicies in the version the API server prefers among those the engine
 * reads; undefined when the group is not served (the CRD is not installed), which is no error:
 * such a cluster has none.
 */
async function readClusterPolicies(api: KubeApi): Promise<SourcedObjects | undefined> {
  let group: GroupDiscovery;
  try {
    group = await api.request<GroupDiscovery>('GET', `/apis/${clusterPolicyGroup}`);
  } catch (error) {
    if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
    throw error;
  }
  const served = (group.versions ?? []).map((v) => v.version);
  const preferred = group.preferredVersion?.version;
  const version = clusterPolicyVersions.find((v) => v === preferred) ?? clusterPolicyVersions.find((v) => served.includes(v));
  if (version === undefined) return undefined;
  return listed(api, `/apis/${clusterPolicyGroup}/${version}/clusternetworkpolicies`, { kind: 'ClusterNetworkPolicy', apiVersion: `${clusterPolicyGroup}/${version}` });
}

function selectsNodes(object: unknown): boolean {
  const spec = (object as { spec?: { egress?: readonly { to?: readonly { nodes?: unknown }[] }[] } }).spec;
  return (spec?.egress ?? []).some((rule) => (rule.to ?? []).some((peer) => peer.nodes !== undefined && peer.nodes !== null));
}

async function listAll(api: KubeApi, path: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined;
  do {
    const page = await api.request<ListResponse>('GET', path, { query: { limit: '500', continue: next } });
    items.push(...(page.items ?? []));
    next = page.metadata?.continue || undefined;
  } while (next !== undefined);
  return items;
}
