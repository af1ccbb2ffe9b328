import { ConfigError } from '../config/config-error.ts';
import { configPath } from '../config/config-path.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import type { KubeObject } from '../kube/admission-review.ts';
import type { ClusterNetworkPolicyWire } from '../reachability/cluster-policy-wire.ts';
import type { SourcedObjects } from '../reachability/inventory.ts';
import type { ClusterPosture } from '../report/model.ts';
import { type ClusterObjects, clusterPosture } from '../report/posture.ts';
import { readCluster } from './cluster-inventory.ts';
import type { ClusterSource } from './report-options.ts';

const namespacesPath = '/api/v1/namespaces';

/** `report --cluster`: the config, then namespaces, pods, NetworkPolicies and ClusterNetworkPolicies (GET only), judged; or what stopped it. */
export async function readPosture(source: ClusterSource): Promise<ClusterPosture | string> {
  let config: Config;
  try {
    config = loadConfig(configPath(source.config));
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  let sources: SourcedObjects[];
  try {
    sources = await readCluster(source.kubeconfig, source.context);
  } catch (error) {
    return `cannot read the cluster: ${(error as Error).message}`;
  }
  return clusterPosture(objectsOf(sources), config);
}

function objectsOf(sources: readonly SourcedObjects[]): ClusterObjects {
  const all = sources.flatMap((source) => source.objects as readonly KubeObject[]);
  const ofKind = (kind: string): KubeObject[] => all.filter((object) => object.kind === kind);
  // Every source is `<server><collection path>`; the namespaces' one gives the server back.
  const namespacesSource = sources.find((source) => source.source.endsWith(namespacesPath))?.source ?? '';
  return {
    server: namespacesSource.slice(0, -namespacesPath.length),
    namespaces: ofKind('Namespace'),
    pods: ofKind('Pod'),
    policies: ofKind('NetworkPolicy'),
    // Listed only when the API server serves them (readCluster adds that source only then).
    ...(sources.some((source) => source.source.endsWith('/clusternetworkpolicies')) ? { clusterPolicies: ofKind('ClusterNetworkPolicy') as ClusterNetworkPolicyWire[] } : {}),
  };
}
