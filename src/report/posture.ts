/**
 * The cluster's posture for `report --cluster`: every governed namespace against its profile,
 * from objects already read (pure; the CLI reads them with GET only). Each judgement is the one
 * the webhook makes: the applier's baseline plan, NP-CEILING, POD-TIER's entitlement.
 */
import { ceilingMessages } from '../ceiling/messages.ts';
import { profileFor } from '../config/profiles.ts';
import type { Config } from '../config/types.ts';
import type { KubeObject } from '../kube/admission-review.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { isManaged, renderBaseline } from '../policy/baseline.ts';
import { planBaseline } from '../policy/baseline-plan.ts';
import { isExemptNamespace } from '../policy/exemptions.ts';
import type { AboveCeiling, ClusterPosture, NamespacePosture, PostureTotals } from './model.ts';
import type { ClusterNetworkPolicyWire } from '../reachability/cluster-policy-wire.ts';
import { clusterPolicyPostures } from './posture-cluster-policies.ts';
import { isFinished, tierProblem } from './posture-tiers.ts';

/** Namespaces, pods and NetworkPolicies of every namespace, as the API server lists them. */
export interface ClusterObjects {
  readonly server: string;
  readonly namespaces: readonly KubeObject[];
  readonly pods: readonly KubeObject[];
  readonly policies: readonly NetworkPolicy[];
  /** Absent when the cluster does not serve ClusterNetworkPolicies. */
  readonly clusterPolicies?: readonly ClusterNetworkPolicyWire[];
}

export function clusterPosture(objects: ClusterObjects, config: Config): ClusterPosture {
  const byNamespace = groupByNamespace(objects);
  const sorted = [...objects.namespaces].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const exempt = sorted.filter((ns) => isExemptNamespace(nameOf(ns), config));
  const terminating = sorted.filter((ns) => !exempt.includes(ns) && isTerminating(ns));
  const governed = sorted.filter((ns) => !exempt.includes(ns) && !terminating.includes(ns));
  const namespaces = governed.map((ns) => namespacePosture(ns, byNamespace.get(nameOf(ns)) ?? emptyContents, config));
  const clusterPolicies = objects.clusterPolicies === undefined ? {} : { clusterPolicies: clusterPolicyPostures(objects.clusterPolicies, governed.map((ns) => ({ name: nameOf(ns), labels: ns.metadata?.labels }))) };
  return { server: objects.server, totals: totalsOf(namespaces, exempt.length), namespaces, exempt: exempt.map(nameOf), terminating: terminating.map(nameOf), ...clusterPolicies };
}

interface Contents {
  readonly pods: KubeObject[];
  readonly policies: NetworkPolicy[];
}

const emptyContents: Contents = { pods: [], policies: [] };

function groupByNamespace(objects: ClusterObjects): Map<string, Contents> {
  const groups = new Map<string, Contents>();
  const groupOf = (namespace: string | undefined): Contents => {
    const key = namespace ?? '';
    const group = groups.get(key) ?? { pods: [], policies: [] };
    groups.set(key, group);
    return group;
  };
  for (const pod of objects.pods) groupOf(pod.metadata?.namespace).pods.push(pod);
  for (const policy of objects.policies) groupOf(policy.metadata?.namespace).policies.push(policy);
  return groups;
}

function namespacePosture(namespace: KubeObject, contents: Contents, config: Config): NamespacePosture {
  const name = nameOf(namespace);
  const labels = namespace.metadata?.labels;
  const { name: profileName, profile } = profileFor(labels, config);
  const plan = planBaseline(contents.policies, renderBaseline(name, profile, config));
  const unmanaged = contents.policies.filter((policy) => !isManaged(policy));
  const running = contents.pods.filter((pod) => !isFinished(pod));
  const problems = [plan.create, plan.restore, plan.foreign, plan.obsolete];
  return {
    name,
    profile: profileName,
    baseline: problems.every((list) => list.length === 0) ? 'complete' : 'incomplete',
    missing: namesOf(plan.create),
    edited: namesOf(plan.restore),
    foreign: namesOf(plan.foreign),
    obsolete: namesOf(plan.obsolete).sort(),
    aboveCeiling: unmanaged.flatMap((policy) => aboveCeiling(policy, { name, labels }, config)),
    pods: running.length,
    tierProblems: running.flatMap((pod) => tierProblem(pod, name, config) ?? []).sort((a, b) => a.pod.localeCompare(b.pod)),
    unmanaged: namesOf(unmanaged).sort(),
  };
}

function aboveCeiling(policy: NetworkPolicy, namespace: { name: string; labels: Readonly<Record<string, string>> | undefined }, config: Config): AboveCeiling[] {
  const name = policy.metadata?.name ?? '';
  const messages = ceilingMessages({ object: policy, name, namespace: namespace.name, namespaceLabels: namespace.labels }, config);
  return messages.length === 0 ? [] : [{ policy: name, messages }];
}

function totalsOf(namespaces: readonly NamespacePosture[], exempt: number): PostureTotals {
  const sum = (count: (ns: NamespacePosture) => number): number => namespaces.reduce((total, ns) => total + count(ns), 0);
  return {
    namespaces: namespaces.length,
    complete: namespaces.filter((ns) => ns.baseline === 'complete').length,
    exempt,
    missingPolicies: sum((ns) => ns.missing.length),
    editedPolicies: sum((ns) => ns.edited.length),
    foreignPolicies: sum((ns) => ns.foreign.length),
    aboveCeiling: sum((ns) => ns.aboveCeiling.length),
    podsWithoutValidTier: sum((ns) => ns.tierProblems.length),
    pods: sum((ns) => ns.pods),
    unmanagedPolicies: sum((ns) => ns.unmanaged.length),
  };
}

function isTerminating(namespace: KubeObject): boolean {
  const phase = (namespace.status as { phase?: string } | undefined)?.phase;
  return phase === 'Terminating' || namespace.metadata?.deletionTimestamp !== undefined;
}

function nameOf(object: KubeObject): string {
  return object.metadata?.name ?? '';
}

/** In the order given: the baseline's lists keep the profile's order (default-deny first). */
function namesOf(policies: readonly NetworkPolicy[]): string[] {
  return policies.map((policy) => policy.metadata?.name ?? '');
}
