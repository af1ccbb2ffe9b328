import type { Direction } from '../reachability/policy.ts';
import type { Widening } from './judge.ts';
import type { Ceiling, Grant } from './model.ts';
import { describePods, pieceText } from './pieces.ts';
import { describePortRules, describePortSet, isEmptyPortSet, joinWords } from './ports.ts';

/** A widening in three parts, as a violation carries them: the connection, what the ceiling allows instead, the field to change. */
export interface WideningWords {
  /** `would allow ingress to tier=db pods from any pod in any namespace on port 8082` */
  readonly asked: string;
  /** `profile "seed-prod" allows ingress to tier=db only from tier=business in products-prod and products-stage` */
  readonly allowed: string;
  /** `narrow spec.ingress[0].from` */
  readonly narrow: string;
}

/**
 * When the ceiling allows that peer some ports, `allowed` names those and `narrow` the rule's
 * `ports` instead of its peers.
 */
export function describeWidening(widening: Widening, ceiling: Ceiling): WideningWords {
  const { direction, rule, allowed } = widening;
  const peer = pieceText(widening.piece);
  const ports = describePortRules(widening.beyond);
  const pods = subject(widening.tier, ceiling);
  const toward = direction === 'ingress' ? 'from' : 'to';
  const asked = `would allow ${direction} ${direction === 'ingress' ? 'to' : 'from'} ${widening.tier === undefined ? pods : `${pods} pods`} ${toward} ${peer} on ${ports}`;
  const field = `spec.${direction}[${rule}]`;
  const selectorFix = widening.manyTiers ? 'spec.podSelector or ' : '';
  if (isEmptyPortSet(allowed)) {
    return { asked, allowed: describeAllowed(ceiling, direction, pods, widening.grants), narrow: `narrow ${selectorFix}${field}.${toward}` };
  }
  return {
    asked,
    allowed: `profile "${ceiling.profile}" allows ${direction} ${direction === 'ingress' ? 'to' : 'from'} ${pods} ${toward} ${peer} only on ${describePortSet(allowed)}`,
    narrow: `narrow ${selectorFix}${field}.ports`,
  };
}

/** `tier=db`; pods whose tier is missing or unknown get only what every pod gets. */
export function subject(tier: string | undefined, ceiling: Ceiling): string {
  return tier === undefined ? `pods without a valid ${ceiling.tierKey} label` : `${ceiling.tierKey}=${tier}`;
}

/** `profile "seed" allows ingress to tier=business only from tier=ui in products-prod`. */
export function describeAllowed(ceiling: Ceiling, direction: Direction, pods: string, grants: readonly Grant[]): string {
  const lead = `profile "${ceiling.profile}" allows`;
  const side = direction === 'ingress' ? `ingress to ${pods}` : `egress from ${pods}`;
  if (grants.length === 0) return `${lead} no ${side}`;
  return `${lead} ${side} only ${direction === 'ingress' ? 'from' : 'to'} ${describePeers(grants).join(', ')}`;
}

/** The grants' peers grouped as people read them: `tier=business in products-prod and products-stage`. */
export function describePeers(grants: readonly Grant[]): string[] {
  const namespacesByPods = new Map<string, (string | undefined)[]>();
  const addresses: string[] = [];
  let anywhere = false;
  for (const { peer } of grants) {
    if (peer.kind === 'anywhere') anywhere = true;
    else if (peer.kind === 'addresses') addresses.push(peer.cidr.text);
    else {
      const pods = describePods(peer.pods).replace(/ pods$/, '');
      namespacesByPods.set(pods, [...(namespacesByPods.get(pods) ?? []), peer.namespace]);
    }
  }
  const items = anywhere ? ['anywhere'] : [];
  for (const [pods, namespaces] of namespacesByPods) {
    const names = namespaces.includes(undefined) ? 'any namespace' : joinWords([...new Set(namespaces as string[])]);
    items.push(`${pods} in ${names}`);
  }
  if (addresses.length > 0) items.push(`addresses in ${joinWords([...new Set(addresses)])}`);
  return items;
}
