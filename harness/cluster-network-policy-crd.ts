// The ClusterNetworkPolicy CRD (sigs.k8s.io/network-policy-api v0.3.1, experimental channel,
// vendored with its source noted in test/fixtures/network-policy-api-v0.3.1/README.md), installed
// into the e2e control plane so that the API server validates ClusterNetworkPolicies and the
// engine reads what it stored.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ApiResponse } from './control-plane.ts';

export const clusterNetworkPolicyCrdPath = join(import.meta.dirname, '../test/fixtures/network-policy-api-v0.3.1/crd/policy.networking.k8s.io_clusternetworkpolicies.yaml');

type Api = (method: string, path: string, body?: unknown, contentType?: string) => Promise<ApiResponse>;

/** Creates the CRD; resolves once it is Established and its group is served (both versions). */
export async function installClusterNetworkPolicyCrd(api: Api, waitUntil: (what: string, check: () => Promise<boolean>) => Promise<void>): Promise<void> {
  const crd = parse(readFileSync(clusterNetworkPolicyCrdPath, 'utf8')) as { metadata: { name: string } };
  const created = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (created.status !== 201) throw new Error(`e2e: creating the ClusterNetworkPolicy CRD: ${created.status} ${created.body.slice(0, 500)}`);
  await waitUntil('the ClusterNetworkPolicy CRD to be Established and served', async () => {
    const got = (await api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)).json as { status?: { conditions?: { type: string; status: string }[] } };
    const established = got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
    return established && (await api('GET', '/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies')).status === 200;
  });
}
