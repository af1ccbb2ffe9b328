import type { CeilingGrantConfig, CeilingPeer, CeilingPort, Config, Profile, TierIngress } from '../config/types.ts';
import { clusterDns } from '../kube/vocabulary.ts';
import { type Cidr, parseCidr } from '../reachability/cidr.ts';
import { parseSelector, type Selector } from '../reachability/label-selector.ts';
import type { Direction } from '../reachability/policy.ts';
import { allPorts, noPorts, type PortSet, portsOf, unionPorts } from './ports.ts';

/**
 * A profile's ceiling for one namespace: the most connectivity any NetworkPolicy there may
 * grant, as grants of (pods of some tiers) × (a source or destination) × (ports). By default
 * it is exactly what the profile's own baseline grants; admins add grants in the config.
 */
export interface Ceiling {
  readonly profile: string;
  readonly namespace: string;
  readonly tierKey: string;
  readonly tiers: readonly string[];
  readonly grants: Readonly<Record<Direction, readonly Grant[]>>;
}

/** The other end of a connection the ceiling allows. */
export type CeilingSource =
  | { readonly kind: 'anywhere' }
  /** Pods matching `pods` in the namespace named `namespace`, or in every namespace when undefined. */
  | { readonly kind: 'pods'; readonly namespace: string | undefined; readonly pods: Selector }
  | { readonly kind: 'addresses'; readonly cidr: Cidr };

export interface Grant {
  /** The tiers of the governed pods it applies to; `all` applies to every pod, whatever its tier. */
  readonly tiers: readonly string[] | 'all';
  readonly peer: CeilingSource;
  readonly ports: PortSet;
}


export function ceilingFor(namespace: string, profileName: string, profile: Profile, config: Config): Ceiling {
  const tierKey = config.tierLabel.key;
  const extra = profile.ceiling ?? { ingress: [], egress: [] };
  const ingress = [...profile.tiers.flatMap((tier) => tierGrants(tier, namespace, tierKey)), ...extra.ingress.flatMap((grant) => configuredGrants(grant, namespace, tierKey))];
  const egress = [...baseEgress(profile), ...extra.egress.flatMap((grant) => configuredGrants(grant, namespace, tierKey))];
  return { profile: profileName, namespace, tierKey, tiers: config.tierLabel.values, grants: { ingress, egress } };
}

/** The grants that apply to pods of `tier`; undefined: pods whose tier is not one of the configured ones. */
export function grantsFor(ceiling: Ceiling, direction: Direction, tier: string | undefined): Grant[] {
  return ceiling.grants[direction].filter((grant) => grant.tiers === 'all' || (tier !== undefined && grant.tiers.includes(tier)));
}

function tierGrants(ingress: TierIngress, namespace: string, tierKey: string): Grant[] {
  const ports = portsOf(ingress.protocol ?? 'TCP', ingress.port);
  if (ingress.from === 'anywhere') return [{ tiers: [ingress.tier], peer: { kind: 'anywhere' }, ports }];
  return ingress.from.map((peer) => ({ tiers: [ingress.tier], peer: podsPeer(peer.namespace ?? namespace, { [tierKey]: peer.tier }), ports }));
}

/** renderBaseline's allow-dns and allow-cluster-egress, for every pod of the namespace. */
function baseEgress(profile: Profile): Grant[] {
  const grants: Grant[] = [];
  if (profile.allowDns) grants.push({ tiers: 'all', peer: podsPeer(clusterDns.namespace, clusterDns.podLabels), ports: unionPorts(portsOf('UDP', 53), portsOf('TCP', 53)) });
  if (profile.allowClusterEgress) grants.push({ tiers: 'all', peer: podsPeer(undefined, {}), ports: allPorts });
  return grants;
}

function configuredGrants(grant: CeilingGrantConfig, namespace: string, tierKey: string): Grant[] {
  const ports = grant.ports.map(configuredPorts).reduce(unionPorts, noPorts);
  const tiers = grant.tiers ?? 'all';
  return (grant.from ?? grant.to ?? []).map((peer) => ({ tiers, peer: configuredPeer(peer, namespace, tierKey), ports }));
}

function configuredPorts(port: CeilingPort): PortSet {
  return portsOf(port.protocol ?? 'TCP', port.port, port.endPort);
}

function configuredPeer(peer: CeilingPeer, namespace: string, tierKey: string): CeilingSource {
  // The config was validated: a cidr parses and stands alone.
  if (peer.cidr !== undefined) return { kind: 'addresses', cidr: parseCidr(peer.cidr) as Cidr };
  const labels = { ...peer.podLabels, ...(peer.tier === undefined ? {} : { [tierKey]: peer.tier }) };
  return podsPeer(peer.namespace === '*' ? undefined : (peer.namespace ?? namespace), labels);
}

function podsPeer(namespace: string | undefined, labels: Readonly<Record<string, string>>): CeilingSource {
  return { kind: 'pods', namespace, pods: parseSelector({ matchLabels: labels }, '') };
}
