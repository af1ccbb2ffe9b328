import type { ClusterPolicyPosture, ClusterPosture, NamespacePosture } from './model.ts';
import { describeReach } from './posture-cluster-policies.ts';
import { countOf, hasFindings } from './posture-words.ts';
import { formatTable } from './text-table.ts';

/** The cluster posture as text sections: what was read, the totals, one row per namespace, then each finding. */
export function postureSections(posture: ClusterPosture): string[] {
  // Listed when there are some; -o json says `[]` (served, none) apart from absent (the CRD is not installed).
  const clusterPolicies = posture.clusterPolicies === undefined || posture.clusterPolicies.length === 0 ? [] : [clusterPolicySection(posture.clusterPolicies)];
  return [overview(posture), ...clusterPolicies, `Posture per namespace\n${namespaceTable(posture)}`, findings(posture)];
}

/** In evaluation order: Admin before the namespaces' NetworkPolicies, Baseline after them. */
function clusterPolicySection(policies: readonly ClusterPolicyPosture[]): string {
  const rows = policies.map((p) => [p.tier, p.priority, p.name, describeReach(p)]);
  return `ClusterNetworkPolicies: ${policies.length} (Admin decides before NetworkPolicies, Baseline after them)\n${formatTable(['TIER', 'PRIORITY', 'NAME', 'GOVERNED NAMESPACES IN SUBJECT'], rows)}`;
}

function overview(posture: ClusterPosture): string {
  const t = posture.totals;
  const named = (names: readonly string[]): string => (names.length === 0 ? '' : ` (${names.join(', ')})`);
  return [
    `Cluster posture: ${posture.server}`,
    `Namespaces: ${t.namespaces} governed, ${t.complete} with a complete baseline; ${t.exempt} exempt${named(posture.exempt)}; ${posture.terminating.length} terminating${named(posture.terminating)}`,
    `Baseline: ${countOf(t.missingPolicies, 'policy', 'policies')} missing, ${t.editedPolicies} edited, ${t.foreignPolicies} held by unmanaged policies`,
    `Above the ceiling: ${countOf(t.aboveCeiling, 'policy', 'policies')}; unmanaged: ${countOf(t.unmanagedPolicies, 'policy', 'policies')}`,
    `Pods without a valid or entitled tier: ${t.podsWithoutValidTier} of ${t.pods}`,
  ].join('\n');
}

const headers = ['NAMESPACE', 'PROFILE', 'BASELINE', 'MISSING', 'EDITED', 'FOREIGN', 'OBSOLETE', 'ABOVE-CEILING', 'BAD-TIER', 'PODS', 'UNMANAGED'];

function namespaceTable(posture: ClusterPosture): string {
  if (posture.namespaces.length === 0) return '  none';
  const rows = posture.namespaces.map((ns) => [
    ns.name,
    ns.profile,
    ns.baseline,
    ns.missing.length,
    ns.edited.length,
    ns.foreign.length,
    ns.obsolete.length,
    ns.aboveCeiling.length,
    ns.tierProblems.length,
    ns.pods,
    ns.unmanaged.length,
  ]);
  return formatTable(headers, rows);
}

function findings(posture: ClusterPosture): string {
  const flagged = posture.namespaces.filter(hasFindings);
  if (flagged.length === 0) return 'Findings: none';
  return [`Findings: ${flagged.length} namespace${flagged.length === 1 ? '' : 's'}`, ...flagged.flatMap(namespaceLines)].join('\n');
}

function namespaceLines(ns: NamespacePosture): string[] {
  const lists: [string, readonly string[]][] = [
    ['missing', ns.missing],
    ['edited', ns.edited],
    ['held by unmanaged policies', ns.foreign],
    ['obsolete (managed, no longer in the profile)', ns.obsolete],
  ];
  return [
    `  ${ns.name} (profile ${ns.profile}): baseline ${ns.baseline}`,
    ...lists.filter(([, names]) => names.length > 0).map(([label, names]) => `    ${label}: ${names.join(', ')}`),
    ...ns.aboveCeiling.flatMap((above) => [`    above the ceiling: ${above.policy}`, ...above.messages.map((message) => `      ${message}`)]),
    ...(ns.tierProblems.length === 0 ? [] : [`    pods without a valid or entitled tier: ${ns.tierProblems.length} of ${ns.pods}`]),
    ...ns.tierProblems.map((problem) => `      ${problem.message}`),
    ...(ns.unmanaged.length === 0 ? [] : [`    unmanaged policies: ${ns.unmanaged.join(', ')}`]),
  ];
}
