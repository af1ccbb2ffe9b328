import { parseCidr } from '../reachability/cidr.ts';
import type { CeilingGrantConfig, CeilingPeer, Config } from './types.ts';

/**
 * What the schema cannot say about `profiles.*.ceiling` and `tierEntitlements`: tiers that
 * must be tierLabel.values, CIDRs that must parse, ranges that must run forwards, and a peer
 * that is either pods or addresses.
 */
export function ceilingProblems(config: Config): string[] {
  const tiers = new Set(config.tierLabel.values);
  const problems: string[] = [];
  const checkTier = (tier: string, at: string): void => {
    if (!tiers.has(tier)) problems.push(`${at}: tier "${tier}" is not one of tierLabel.values (${config.tierLabel.values.join(', ')})`);
  };
  for (const [name, profile] of Object.entries(config.profiles)) {
    for (const direction of ['ingress', 'egress'] as const) {
      (profile.ceiling?.[direction] ?? []).forEach((grant, i) => problems.push(...grantProblems(grant, `/profiles/${name}/ceiling/${direction}/${i}`, checkTier)));
    }
  }
  for (const tier of Object.keys(config.tierEntitlements ?? {})) checkTier(tier, `/tierEntitlements/${tier}`);
  return problems;
}

function grantProblems(grant: CeilingGrantConfig, at: string, checkTier: (tier: string, at: string) => void): string[] {
  const problems: string[] = [];
  (grant.tiers ?? []).forEach((tier, i) => checkTier(tier, `${at}/tiers/${i}`));
  const field = grant.from !== undefined ? 'from' : 'to';
  (grant[field] ?? []).forEach((peer, i) => problems.push(...peerProblems(peer, `${at}/${field}/${i}`, checkTier)));
  grant.ports.forEach((port, i) => {
    if (port.endPort === undefined) return;
    if (port.port === undefined) problems.push(`${at}/ports/${i}/endPort: needs a port to start from`);
    else if (port.endPort < port.port) problems.push(`${at}/ports/${i}/endPort: ${port.endPort} is below port ${port.port}`);
  });
  return problems;
}

function peerProblems(peer: CeilingPeer, at: string, checkTier: (tier: string, at: string) => void): string[] {
  if (peer.tier !== undefined) checkTier(peer.tier, `${at}/tier`);
  if (peer.cidr === undefined) return [];
  const problems: string[] = [];
  if (peer.tier !== undefined || peer.namespace !== undefined || peer.podLabels !== undefined) {
    problems.push(`${at}: cidr cannot be combined with tier, namespace or podLabels (a peer is either pods or addresses)`);
  }
  if (parseCidr(peer.cidr) === undefined) problems.push(`${at}/cidr: "${peer.cidr}" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32`);
  return problems;
}
