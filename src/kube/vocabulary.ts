/** Label and annotation keys the product reads and writes, and its rule IDs. */

export const labels = {
  profile: 'netpol-hygiene.io/profile',
  mode: 'netpol-hygiene.io/mode',
  defaultTier: 'netpol-hygiene.io/default-tier',
  managedBy: 'app.kubernetes.io/managed-by',
  /** Set by the API server on every namespace since Kubernetes 1.22. */
  namespaceName: 'kubernetes.io/metadata.name',
} as const;

/** Where the allow-dns baseline policy sends DNS traffic, and what the ceiling allows for it. */
export const clusterDns = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } } as const;

export const labelPrefix = 'netpol-hygiene.io/';
export const managerName = 'netpol-hygiene';

export const annotations = {
  tier: 'netpol-hygiene.io/tier',
  tierSource: 'netpol-hygiene.io/tier-source',
} as const;

export type RuleId = 'NS-DEFAULT-DENY' | 'NS-LABELS' | 'POD-TIER' | 'POD-PROTECTED' | 'NP-GUARD' | 'NP-CEILING';
