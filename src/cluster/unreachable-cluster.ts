import { type ClusterState, ClusterStateUnavailableError, type NamespaceView } from '../policy/decision.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';

/**
 * The cluster state of a webhook that cannot reach the API server at all (no kubeconfig, no
 * service account): every read fails closed with the reason, so rules that need no state
 * still decide, and /readyz says why it is not ready.
 */
export class UnreachableCluster implements ClusterState {
  private readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }

  namespace(): NamespaceView | undefined {
    throw new ClusterStateUnavailableError(this.reason);
  }

  networkPolicies(): readonly NetworkPolicy[] {
    throw new ClusterStateUnavailableError(this.reason);
  }

  notReadyReason(): string {
    return this.reason;
  }
}
