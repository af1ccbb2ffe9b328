import type { KubeObject } from '../kube/admission-review.ts';
import type { Config } from '../config/types.ts';
import { profileFor } from '../config/profiles.ts';
import { renderBaseline } from '../policy/baseline.ts';
import { planBaseline } from '../policy/baseline-plan.ts';
import type { ClusterState, NamespaceView } from '../policy/decision.ts';
import { isExemptNamespace } from '../policy/exemptions.ts';
import type { NetworkPolicy } from '../kube/network-policy.ts';
import { labels } from '../kube/vocabulary.ts';
import type { ReviewedKind } from './candidates.ts';

/**
 * The cluster a check decides against, the rules' ClusterState. Given (from --state or the live
 * cluster): exactly those namespaces and policies. Assumed (neither given): every namespace the
 * input names exists, unlabelled (the default profile), with the baseline the reconciler keeps,
 * which is what a cluster where netpol-hygiene runs looks like. Either way, what the check
 * admits is added as the API server would store it, so later objects see earlier ones.
 */
export class SimulatedCluster implements ClusterState {
  private readonly config: Config;
  private readonly assumed: boolean;
  private readonly namespaces = new Map<string, KubeObject>();
  private readonly policies = new Map<string, Map<string, NetworkPolicy>>();
  private readonly pods = new Map<string, KubeObject>();
  /** Namespaces the input creates and the check refused: they do not exist, assumed or not. */
  private readonly refused = new Set<string>();

  private constructor(config: Config, assumed: boolean) {
    this.config = config;
    this.assumed = assumed;
  }

  static given(objects: readonly KubeObject[], config: Config): SimulatedCluster {
    const cluster = new SimulatedCluster(config, false);
    for (const object of objects) cluster.store(object);
    return cluster;
  }

  static assumed(config: Config): SimulatedCluster {
    return new SimulatedCluster(config, true);
  }

  namespace(name: string): NamespaceView | undefined {
    const object = this.namespaceObject(name);
    if (object === undefined) return undefined;
    const status = (object.status ?? {}) as { phase?: string };
    return { name, labels: object.metadata?.labels ?? {}, terminating: object.metadata?.deletionTimestamp !== undefined || status.phase === 'Terminating' };
  }

  networkPolicies(namespace: string): readonly NetworkPolicy[] {
    this.namespaceObject(namespace);
    return [...(this.policies.get(namespace)?.values() ?? [])];
  }

  /** The object of that kind and name the cluster holds already: applying the input's is then an UPDATE. */
  existing(kind: ReviewedKind, namespace: string | undefined, name: string): KubeObject | undefined {
    if (kind === 'Namespace') return this.namespaces.get(name);
    if (kind === 'Pod') return this.pods.get(`${namespace}/${name}`);
    return this.policies.get(namespace ?? '')?.get(name) as KubeObject | undefined;
  }

  /** Stores an admitted object; an admitted Namespace gets its profile's baseline, as the reconciler would apply it. */
  admit(object: KubeObject): void {
    this.store(object);
    if (object.kind === 'Namespace') this.converge(object.metadata?.name ?? '');
  }

  /** A Namespace the check refused stays absent, so the input's objects in it cannot be created. */
  refuse(object: KubeObject): void {
    if (object.kind === 'Namespace' && this.namespaces.get(object.metadata?.name ?? '') === undefined) this.refused.add(object.metadata?.name ?? '');
  }

  private store(object: KubeObject): void {
    const name = object.metadata?.name ?? '';
    const namespace = object.metadata?.namespace ?? '';
    if (object.kind === 'Namespace') this.namespaces.set(name, withNameLabel(object, name));
    if (object.kind === 'Pod') this.pods.set(`${namespace}/${name}`, object);
    if (object.kind === 'NetworkPolicy') this.policiesIn(namespace).set(name, object as NetworkPolicy);
  }

  /** An assumed namespace comes into being the first time a rule asks about it. */
  private namespaceObject(name: string): KubeObject | undefined {
    const held = this.namespaces.get(name);
    if (held !== undefined || !this.assumed || this.refused.has(name) || name === '') return held;
    const object = withNameLabel({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, name);
    this.namespaces.set(name, object);
    this.converge(name);
    return object;
  }

  /**
   * What the reconciler does to a namespace: managed policies become the profile's (created,
   * restored, obsolete ones removed); same-named policies it does not manage are left alone.
   */
  private converge(namespace: string): void {
    if (isExemptNamespace(namespace, this.config)) return;
    const held = this.policiesIn(namespace);
    const { profile } = profileFor(this.namespaces.get(namespace)?.metadata?.labels, this.config);
    // The applier's own judgement of what to create, restore and remove.
    const plan = planBaseline([...held.values()], renderBaseline(namespace, profile, this.config));
    for (const policy of plan.obsolete) held.delete(policy.metadata?.name ?? '');
    for (const policy of [...plan.create, ...plan.restore]) held.set(policy.metadata?.name ?? '', policy);
  }

  private policiesIn(namespace: string): Map<string, NetworkPolicy> {
    let held = this.policies.get(namespace);
    if (held === undefined) this.policies.set(namespace, (held = new Map()));
    return held;
  }
}

/** The API server sets this label on every namespace, whatever the manifest says. */
function withNameLabel(namespace: KubeObject, name: string): KubeObject {
  return { ...namespace, metadata: { ...namespace.metadata, labels: { ...namespace.metadata?.labels, [labels.namespaceName]: name } } };
}
