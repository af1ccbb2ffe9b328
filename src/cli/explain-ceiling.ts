import { ceilingMessages } from '../ceiling/messages.ts';
import type { Config } from '../config/types.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { isManaged } from '../policy/baseline.ts';
import { isExemptNamespace } from '../policy/exemptions.ts';
import type { SourcedObjects } from '../reachability/inventory.ts';
import type { RuleRef, SideVerdict, Verdict } from '../reachability/verdict.ts';
import type { World } from '../reachability/world.ts';

export interface AboveCeiling {
  /** `namespace/name` of a policy that admits the connection. */
  readonly policy: string;
  /** NP-CEILING's messages for it, as the webhook would refuse it today. */
  readonly messages: readonly string[];
}

/**
 * The policies that admit this connection and allow more than their namespace's profile does:
 * created before the webhook, by an admin, or before a ceiling was tightened. They are reported,
 * never changed; `explain` points at them because they are usually why a connection is open.
 */
export function aboveCeiling(verdict: Verdict, world: World, sources: readonly SourcedObjects[], config: Config): AboveCeiling[] {
  const admitting = new Set([...decisiveAllows(verdict.egress), ...decisiveAllows(verdict.ingress)].map((ref) => ref.policy));
  const raw = rawPolicies(sources);
  const found: AboveCeiling[] = [];
  for (const key of [...admitting].sort()) {
    const object = raw.get(key);
    const messages = object === undefined ? [] : judged(object, world, config);
    if (messages.length > 0) found.push({ policy: key, messages });
  }
  return found;
}

/** The NetworkPolicy rules that admit on a side, when the NetworkPolicy tier is where that side is decided (not an Admin ClusterNetworkPolicy before it). */
function decisiveAllows(side: SideVerdict | undefined): readonly RuleRef[] {
  if (side === undefined || !side.tiers.paths.some((path) => path.decidedBy === 'NetworkPolicy')) return [];
  return side.allowedBy;
}

function rawPolicies(sources: readonly SourcedObjects[]): Map<string, NetworkPolicy> {
  const policies = sources.flatMap((source) => source.objects).filter((object): object is NetworkPolicy => (object as { kind?: unknown }).kind === 'NetworkPolicy');
  return new Map(policies.map((policy) => [`${policy.metadata?.namespace ?? ''}/${policy.metadata?.name ?? ''}`, policy]));
}

/** NP-CEILING's messages for a policy the webhook governs; none for the baseline's own or an exempt namespace's. */
function judged(object: NetworkPolicy, world: World, config: Config): string[] {
  const namespace = object.metadata?.namespace ?? '';
  if (isManaged(object) || isExemptNamespace(namespace, config)) return [];
  return ceilingMessages({ object, name: object.metadata?.name ?? '', namespace, namespaceLabels: world.namespaces.get(namespace)?.labels }, config);
}

export function describeAboveCeiling(found: readonly AboveCeiling[]): string {
  if (found.length === 0) return '';
  const lines = found.flatMap(({ policy, messages }) => [
    `NetworkPolicy ${policy} admits this connection and allows more than its namespace's profile (netpol-hygiene would refuse it today):`,
    ...messages.map((message) => `  ${message}`),
  ]);
  return `\nAbove the ceiling:\n${lines.join('\n')}\n`;
}
