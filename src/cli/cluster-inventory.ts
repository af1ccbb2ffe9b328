import { KubeApi } from '../cluster/kube-api.ts';
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

/**
 * Namespaces, pods and NetworkPolicies of the live cluster, read with GET only (list, paged
 * by 500). List items carry no `kind`, so it is set from the collection.
 */
export async function readCluster(kubeconfig: string | undefined, context?: string): Promise<SourcedObjects[]> {
  const api = KubeApi.load(kubeconfig, context);
  try {
    const sources: SourcedObjects[] = [];
    for (const { path, kind } of collections) sources.push({ source: `${api.connection.server}${path}`, objects: (await listAll(api, path)).map((item) => ({ ...item, kind })) });
    return sources;
  } finally {
    api.close();
  }
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
