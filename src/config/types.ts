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
  readonly defaultTier?: string;
  readonly defaultProfile: string;
  readonly profiles: Readonly<Record<string, Profile>>;
  readonly audit: { readonly file?: string };
  readonly reconcile: { readonly resyncSeconds: number; readonly leaseDurationSeconds: number };
}
