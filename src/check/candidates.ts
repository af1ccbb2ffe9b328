/**
 * What of a set of manifests reaches netpol-hygiene's webhooks, and as whom: Namespaces, Pods
 * and NetworkPolicies as written, and the pods the controllers create from the pod templates of
 * Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs. Pure: no I/O.
 */
import type { KubeObject, UserInfo } from '../kube/admission-review.ts';

/** One object of the input, with the file (or API URL) it came from. */
export interface SourcedObject {
  readonly source: string;
  readonly object: KubeObject;
}

export type ReviewedKind = 'Namespace' | 'Pod' | 'NetworkPolicy';

/** An object as the webhook would receive it, and what in the input it stands for. */
export interface Candidate {
  readonly source: string;
  /** What the user wrote: `Deployment products-prod/ui`. */
  readonly origin: { readonly kind: string; readonly namespace?: string; readonly name: string };
  readonly kind: ReviewedKind;
  /** With metadata.namespace set for namespaced kinds; a template's pod named as its controller would. */
  readonly object: KubeObject;
  /** Absent: the person applying the manifests sends it; else the controller that creates a workload's pods. */
  readonly controller?: UserInfo;
}

/** Why an input object cannot be checked: a manifest the API server would refuse too. */
export class CandidateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CandidateError';
  }
}

interface WorkloadKind {
  readonly template: (spec: Record<string, unknown>) => unknown;
  /** The kube-controller-manager service account that creates the pods (--use-service-account-credentials). */
  readonly controller: string;
  /**
   * The pod's name at admission. Generated names stand as `NAME-*` in messages: the
   * ReplicaSet hash (Deployment) and scheduled time (CronJob) are the cluster's to choose.
   */
  readonly podName: (name: string) => { name?: string; generateName?: string };
}

const generated = (name: string): { generateName: string } => ({ generateName: `${name}-` });

const workloadKinds: Readonly<Record<string, WorkloadKind>> = {
  'apps/Deployment': { template: (spec) => spec.template, controller: 'replicaset-controller', podName: generated },
  'apps/ReplicaSet': { template: (spec) => spec.template, controller: 'replicaset-controller', podName: generated },
  // The first replica is named NAME-0; the others differ only in the ordinal.
  'apps/StatefulSet': { template: (spec) => spec.template, controller: 'statefulset-controller', podName: (name) => ({ name: `${name}-0` }) },
  'apps/DaemonSet': { template: (spec) => spec.template, controller: 'daemon-set-controller', podName: generated },
  'batch/Job': { template: (spec) => spec.template, controller: 'job-controller', podName: generated },
  'batch/CronJob': { template: (spec) => field(field(spec.jobTemplate, 'spec'), 'template'), controller: 'job-controller', podName: generated },
};

const reviewedKinds: Readonly<Record<string, ReviewedKind>> = { '/Namespace': 'Namespace', '/Pod': 'Pod', 'networking.k8s.io/NetworkPolicy': 'NetworkPolicy' };

/** The object's API group and kind, `apps/Deployment` or `/Pod` for the core group. */
export function groupKind(object: KubeObject): string {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${group}/${String(object.kind)}`;
}

/** Every object the webhooks would review, in input order, or undefined for one they never see. */
export function candidateOf({ source, object }: SourcedObject, defaultNamespace: string): Candidate | undefined {
  const name = nameOf(object, source);
  const key = groupKind(object);
  const reviewed = reviewedKinds[key];
  if (reviewed === 'Namespace') return { source, origin: { kind: 'Namespace', name }, kind: reviewed, object };
  const namespace = object.metadata?.namespace ?? defaultNamespace;
  if (reviewed !== undefined) {
    return { source, origin: { kind: reviewed, namespace, name }, kind: reviewed, object: { ...object, metadata: { ...object.metadata, namespace } } };
  }
  const workload = workloadKinds[key];
  if (workload === undefined) return undefined;
  return { source, origin: { kind: String(object.kind), namespace, name }, kind: 'Pod', object: templatePod(object, workload, namespace, source), controller: controllerUser(workload.controller) };
}

interface PodTemplate {
  readonly metadata?: KubeObject['metadata'];
  readonly spec: object;
}

function templatePod(object: KubeObject, workload: WorkloadKind, namespace: string, source: string): KubeObject {
  const name = object.metadata?.name as string;
  const template = workload.template((object.spec ?? {}) as Record<string, unknown>) as { metadata?: KubeObject['metadata']; spec?: unknown } | undefined;
  if (!isPodTemplate(template)) {
    throw new CandidateError(`${source}: ${String(object.kind)} ${namespace}/${name} has no pod template (spec${object.kind === 'CronJob' ? '.jobTemplate.spec' : ''}.template.spec)`);
  }
  // The template's labels and annotations, as the controller copies them; absent stays absent, as in the JSON sent.
  const { labels, annotations } = template.metadata ?? {};
  const copied = { ...(labels === undefined ? {} : { labels }), ...(annotations === undefined ? {} : { annotations }) };
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...copied, ...workload.podName(name), namespace }, spec: template.spec };
}

function isPodTemplate(template: { spec?: unknown } | undefined): template is PodTemplate {
  return typeof template === 'object' && template !== null && typeof template.spec === 'object' && template.spec !== null;
}

function controllerUser(account: string): UserInfo {
  return {
    username: `system:serviceaccount:kube-system:${account}`,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  };
}

function nameOf(object: KubeObject, source: string): string {
  if (typeof object.kind !== 'string' || object.kind === '') throw new CandidateError(`${source}: an object has no kind`);
  const name = object.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new CandidateError(`${source}: a ${object.kind} has no metadata.name`);
  return name;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The objects of every source, `kind: List` and `*List` documents unpacked, in input order. */
export function sourcedObjects(sources: readonly { readonly source: string; readonly objects: readonly unknown[] }[]): SourcedObject[] {
  const out: SourcedObject[] = [];
  const collect = (source: string, value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) collect(source, item);
    else if (typeof value !== 'object' || value === null) throw new CandidateError(`${source}: a document is not an object`);
    else if (isList(value as KubeObject)) collect(source, (value as KubeObject).items);
    else out.push({ source, object: value as KubeObject });
  };
  for (const { source, objects } of sources) for (const object of objects) collect(source, object);
  return out;
}

function isList(object: KubeObject): boolean {
  return Array.isArray(object.items) && typeof object.kind === 'string' && object.kind.endsWith('List');
}
