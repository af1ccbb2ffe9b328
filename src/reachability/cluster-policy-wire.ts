/**
 * policy.networking.k8s.io ClusterNetworkPolicy (v1alpha2 and v1beta1 have the same schema) in
 * its wire form, as manifests hold it and the API server returns it. Source of truth:
 * sigs.k8s.io/network-policy-api v0.3.1, apis/v1beta1/clusternetworkpolicy_types.go.
 */
import type { LabelSelector } from '../kube/network-policy.ts';

export const clusterPolicyGroup = 'policy.networking.k8s.io';
export const clusterPolicyVersions = ['v1beta1', 'v1alpha2'] as const;

export interface NamespacedPodWire {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
}

export interface ClusterPeerWire {
  readonly namespaces?: LabelSelector;
  readonly pods?: NamespacedPodWire;
  readonly nodes?: LabelSelector;
  readonly networks?: readonly string[];
  readonly domainNames?: readonly string[];
}

export interface PortWire {
  readonly number?: number;
  readonly range?: { readonly start?: number; readonly end?: number };
}

export interface ClusterProtocolWire {
  readonly tcp?: { readonly destinationPort?: PortWire };
  readonly udp?: { readonly destinationPort?: PortWire };
  readonly sctp?: { readonly destinationPort?: PortWire };
  readonly destinationNamedPort?: string;
}

export interface ClusterRuleWire {
  readonly name?: string;
  readonly action?: string;
  readonly from?: readonly ClusterPeerWire[];
  readonly to?: readonly ClusterPeerWire[];
  readonly protocols?: readonly ClusterProtocolWire[];
}

export interface ClusterNetworkPolicyWire {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string };
  readonly spec?: {
    readonly tier?: string;
    readonly priority?: number;
    readonly subject?: { readonly namespaces?: LabelSelector; readonly pods?: NamespacedPodWire };
    readonly ingress?: readonly ClusterRuleWire[];
    readonly egress?: readonly ClusterRuleWire[];
  };
}

/** A ClusterNetworkPolicy of a version the engine reads (an unknown group's same-named kind is not one). */
export function isClusterNetworkPolicy(object: { readonly apiVersion?: unknown; readonly kind?: unknown }): boolean {
  if (object.kind !== 'ClusterNetworkPolicy') return false;
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  return (clusterPolicyVersions as readonly string[]).some((version) => apiVersion === `${clusterPolicyGroup}/${version}`);
}
