import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicySpec } from '../kube/network-policy.ts';
import type { Config, Profile, TierIngress, TierPeer } from '../config/types.ts';
import { tierPolicyName } from '../config/profiles.ts';
import { clusterDns, labels, managerName } from '../kube/vocabulary.ts';

export const defaultDenyPolicyName = 'default-deny';

/**
 * The NetworkPolicies a profile yields for a namespace, in the seed's order: default deny
 * (both directions in one policy), DNS, cluster egress, then the tier chain.
 */
export function renderBaseline(namespace: string, profile: Profile, config: Config): NetworkPolicy[] {
  const policies: NetworkPolicy[] = [
    managedPolicy(namespace, defaultDenyPolicyName, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
  ];
  if (profile.allowDns) {
    policies.push(
      managedPolicy(namespace, 'allow-dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            // One peer with both selectors: kube-dns pods *in* kube-system, not any pod there
            // plus any kube-dns pod anywhere.
            to: [
              {
                namespaceSelector: { matchLabels: { [labels.namespaceName]: clusterDns.namespace } },
                podSelector: { matchLabels: { ...clusterDns.podLabels } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    );
  }
  if (profile.allowClusterEgress) {
    policies.push(
      managedPolicy(namespace, 'allow-cluster-egress', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      }),
    );
  }
  for (const ingress of profile.tiers) policies.push(tierPolicy(namespace, ingress, config.tierLabel.key));
  return policies;
}

export function isManaged(policy: { metadata?: { labels?: Readonly<Record<string, string>> } } | null | undefined): boolean {
  return policy?.metadata?.labels?.[labels.managedBy] === managerName;
}

function tierPolicy(namespace: string, ingress: TierIngress, tierKey: string): NetworkPolicy {
  const ports = [{ protocol: ingress.protocol ?? 'TCP', port: ingress.port }];
  // No `from` at all admits every source; an empty list would admit none.
  const rule = ingress.from === 'anywhere' ? { ports } : { from: ingress.from.map((peer) => tierPeer(peer, tierKey)), ports };
  return managedPolicy(namespace, tierPolicyName(ingress), {
    podSelector: { matchLabels: { [tierKey]: ingress.tier } },
    policyTypes: ['Ingress'],
    ingress: [rule],
  });
}

function tierPeer(peer: TierPeer, tierKey: string): NetworkPolicyPeer {
  const podSelector = { matchLabels: { [tierKey]: peer.tier } };
  if (peer.namespace === undefined) return { podSelector };
  return { namespaceSelector: { matchLabels: { [labels.namespaceName]: peer.namespace } }, podSelector };
}

function managedPolicy(namespace: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { [labels.managedBy]: managerName } },
    spec,
  };
}
