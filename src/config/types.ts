/** The validated configuration; the JSON schema in schema.ts is its single source of truth. */

export type Mode = 'enforce' | 'warn' | 'audit';
export const modes: readonly Mode[] = ['enforce', 'warn', 'audit'];

/** A source of traffic allowed into a tier: a tier in the same namespace, or in another one. */
export interface TierPeer {
  readonly tier: string;
  /** Name of another namespace whose pods of that tier are allowed. */
  readonly namespace?: string;
}

export interface TierIngress {
  readonly tier: string;
  readonly policyName?: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** `anywhere`, or the peers allowed in. */
  readonly from: 'anywhere' | readonly TierPeer[];
}

export interface Profile {
  readonly allowDns: boolean;
  readonly allowClusterEgress: boolean;
  readonly tiers: readonly TierIngress[];
  /** What admins allow beyond the profile's own rules (docs/ceiling.md); absent: nothing. */
  readonly ceiling?: ProfileCeiling;
}

/**
 * A source or destination an admin adds to a profile's ceiling: pods (optionally of one tier,
 * with some labels) in a namespace, or addresses in a CIDR.
 */
export interface CeilingPeer {
  readonly tier?: string;
  /** A namespace name, or `*` for every namespace; absent: the governed namespace itself. */
  readonly namespace?: string;
  readonly podLabels?: Readonly<Record<string, string>>;
  readonly cidr?: string;
}

export interface CeilingPort {
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** Absent: every port of the protocol. */
  readonly port?: number;
  readonly endPort?: number;
}

/** Extra connectivity for pods of `tiers` (absent: every pod of the namespace, whatever its tier). */
export interface CeilingGrantConfig {
  readonly tiers?: readonly string[];
  readonly from?: readonly CeilingPeer[];
  readonly to?: readonly CeilingPeer[];
  readonly ports: readonly CeilingPort[];
}

export interface ProfileCeiling {
  readonly ingress: readonly CeilingGrantConfig[];
  readonly egress: readonly CeilingGrantConfig[];
}

/** Who may carry a tier: every given field must match; any entry of the tier entitles. */
export interface TierEntitlement {
  readonly serviceAccounts?: readonly string[];
  readonly namespaces?: readonly string[];
  /** Globs; every container's image must match one. */
  readonly images?: readonly string[];
}

export interface TierRuleMatch {
  readonly labels?: Readonly<Record<string, string>>;
  readonly images?: readonly string[];
  readonly ports?: readonly number[];
  readonly serviceAccounts?: readonly string[];
  readonly namespaces?: readonly string[];
}

export interface TierRule {
  readonly name: string;
  readonly tier: string;
  readonly match: TierRuleMatch;
}

export interface Config {
  readonly mode: Mode;
  readonly webhook: { readonly namespace: string; readonly serviceAccount: string };
  readonly exemptions: {
    readonly namespaces: readonly string[];
    readonly usernames: readonly string[];
    readonly groups: readonly string[];
  };
  readonly adminGroups: readonly string[];
  readonly tierLabel: { readonly key: string; readonly values: readonly string[] };
  readonly tierRules: readonly TierRule[];
  /** Tiers listed here may be carried only by the pods an entry matches; other tiers (and all, when absent) are open. */
  readonly tierEntitlements?: Readonly<Record<string, readonly TierEntitlement[]>>;
  readonly defaultTier?: string;
  readonly defaultProfile: string;
  readonly profiles: Readonly<Record<string, Profile>>;
  readonly audit: { readonly file?: string };
  readonly reconcile: { readonly resyncSeconds: number; readonly leaseDurationSeconds: number; readonly apiQps: number; readonly apiBurst: number };
}
