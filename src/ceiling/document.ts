import type { Direction } from '../reachability/policy.ts';
import { describePeers, subject } from './describe.ts';
import type { Ceiling } from './model.ts';
import { describePortSet } from './ports.ts';

export interface CeilingGrantView {
  readonly pods: string;
  readonly from?: string;
  readonly to?: string;
  readonly ports: string;
}

/** What `render --ceiling` prints: each grant in the words NP-CEILING's messages use. */
export interface CeilingDocument {
  readonly namespace: string;
  readonly profile: string;
  readonly ingress: readonly CeilingGrantView[];
  readonly egress: readonly CeilingGrantView[];
}

export function ceilingDocument(ceiling: Ceiling): CeilingDocument {
  return { namespace: ceiling.namespace, profile: ceiling.profile, ingress: grantViews(ceiling, 'ingress'), egress: grantViews(ceiling, 'egress') };
}

function grantViews(ceiling: Ceiling, direction: Direction): CeilingGrantView[] {
  const field = direction === 'ingress' ? 'from' : 'to';
  return ceiling.grants[direction].map((grant) => ({
    pods: grant.tiers === 'all' ? 'every pod' : grant.tiers.map((tier) => subject(tier, ceiling)).join(', '),
    [field]: describePeers([grant])[0] as string,
    ports: describePortSet(grant.ports),
  }) as CeilingGrantView);
}
