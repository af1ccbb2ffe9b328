/**
 * Fakes and builders shared by the unit tests: a map-backed ClusterState (as Pod Security
 * Admission's tests pass map-backed NamespaceGetters), one that cannot answer, a recording
 * audit sink, and an AdmissionRequest builder.
 */
import type { Operation as PatchOperation } from 'fast-json-patch';
import type { AdmissionRequest, AdmissionResponse, KubeObject, Operation, UserInfo } from '../../src/kube/admission-review.ts';
import type { AdmissionAuditRecord, AuditRecord, AuditSink } from '../../src/audit/audit-log.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { type ClusterState, ClusterStateUnavailableError, type NamespaceView, type RuleContext } from '../../src/policy/decision.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { UnreachableCluster } from '../../src/cluster/unreachable-cluster.ts';

/** The built-in config (config/default.yaml), loaded once; rules never modify it. */
export const defaultConfig: Config = loadConfig();

/** The built-in config with some top-level fields replaced, validated like a config file. */
export function configWith(overrides: Record<string, unknown>): Config {
  return parseConfig({ ...structuredClone(defaultConfig), ...overrides }, 'test config');
}

export interface FakeNamespace {
  readonly labels?: Readonly<Record<string, string>>;
  readonly terminating?: boolean;
}

export interface FakeCluster extends ClusterState {
  /** Every read, in order: `namespace:<name>` or `networkPolicies:<namespace>`. */
  readonly reads: string[];
}

/** ClusterState over plain maps, as the informer caches would answer. */
export function fakeCluster({
  namespaces = {},
  policies = {},
}: { namespaces?: Readonly<Record<string, FakeNamespace>>; policies?: Readonly<Record<string, readonly NetworkPolicy[]>> } = {}): FakeCluster {
  const reads: string[] = [];
  return {
    reads,
    namespace(name: string): NamespaceView | undefined {
      reads.push(`namespace:${name}`);
      const found = namespaces[name];
      return found === undefined ? undefined : { name, labels: found.labels ?? {}, terminating: found.terminating ?? false };
    },
    networkPolicies(namespace: string): readonly NetworkPolicy[] {
      reads.push(`networkPolicies:${namespace}`);
      return policies[namespace] ?? [];
    },
  };
}

/** ClusterState whose caches never synced: every read throws, as the real one does. */
export function unavailableCluster(reason = 'informer caches have not synced'): ClusterState {
  return new UnreachableCluster(reason);
}

export function context(cluster: ClusterState = fakeCluster(), config: Config = defaultConfig): RuleContext {
  return { config, cluster };
}

export interface RecordingAudit extends AuditSink {
  readonly records: AuditRecord[];
  /** The admission records, asserting that there are no others. */
  admissionRecords(): AdmissionAuditRecord[];
}

export function recordingAudit(): RecordingAudit {
  const records: AuditRecord[] = [];
  return {
    records,
    write(record: AuditRecord): void {
      records.push(record);
    },
    admissionRecords(): AdmissionAuditRecord[] {
      return records.filter((r): r is AdmissionAuditRecord => r.event === 'admission');
    },
  };
}

export const users = {
  developer: { username: 'jane@example.com', groups: ['developers', 'system:authenticated'] },
  admin: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
  webhook: {
    username: 'system:serviceaccount:netpol-hygiene:netpol-hygiene',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:netpol-hygiene', 'system:authenticated'],
  },
  namespaceController: {
    username: 'system:serviceaccount:kube-system:namespace-controller',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  },
} as const satisfies Record<string, UserInfo>;

const resources = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Namespace: { group: '', version: 'v1', resource: 'namespaces' },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps' },
} as const;

export type RequestKind = keyof typeof resources;

export interface RequestOptions {
  readonly operation?: Operation;
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: KubeObject | null;
  readonly oldObject?: KubeObject | null;
  readonly userInfo?: UserInfo;
  readonly dryRun?: boolean;
  readonly uid?: string;
}

/**
 * An AdmissionRequest as the API server sends it. For a Namespace, `name` and `namespace`
 * default to the object's name (the API server fills both since Kubernetes 1.20); for other
 * kinds `namespace` defaults to products-prod and `name` to the object's name, if any.
 */
export function admissionRequest(kind: RequestKind, options: RequestOptions = {}): AdmissionRequest {
  const { group, version, resource } = resources[kind];
  const object = options.object === undefined ? null : options.object;
  const oldObject = options.oldObject === undefined ? null : options.oldObject;
  const objectName = object?.metadata?.name ?? oldObject?.metadata?.name;
  const name = options.name ?? objectName;
  const namespace = options.namespace ?? (kind === 'Namespace' ? objectName : 'products-prod');
  return {
    uid: options.uid ?? 'e911857d-c318-11e8-bbad-025000000001',
    kind: { group, version, kind },
    resource: { group, version, resource },
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
    operation: options.operation ?? 'CREATE',
    userInfo: options.userInfo ?? users.developer,
    object,
    oldObject,
    dryRun: options.dryRun ?? false,
  };
}

/**
 * A Namespace as admission sees it. With labels, it also carries kubernetes.io/metadata.name
 * (the API server sets it before admission); without, metadata has no labels at all.
 */
export function namespaceObject(name: string, labels?: Readonly<Record<string, string>>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(labels === undefined ? {} : { labels: { 'kubernetes.io/metadata.name': name, ...labels } }) },
    spec: { finalizers: ['kubernetes'] },
  };
}

export interface PodOptions {
  readonly name?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly serviceAccountName?: string;
  readonly containers?: readonly { readonly name: string; readonly image: string; readonly ports?: readonly number[] }[];
}

/** A small pod; metadata.labels/annotations are present only when given. */
export function podObject(options: PodOptions = {}): KubeObject {
  const containers = options.containers ?? [{ name: 'app', image: 'registry.example.com/products/app:1.0.0' }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? 'app',
      namespace: 'products-prod',
      ...(options.labels === undefined ? {} : { labels: options.labels }),
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    },
    spec: {
      ...(options.serviceAccountName === undefined ? {} : { serviceAccountName: options.serviceAccountName }),
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image,
        ...(c.ports === undefined ? {} : { ports: c.ports.map((containerPort) => ({ containerPort, protocol: 'TCP' })) }),
      })),
    },
  };
}

/** A NetworkPolicy in products-prod; also usable as a request's object or oldObject. */
export function networkPolicy(name: string, spec: NetworkPolicy['spec'], labels?: Readonly<Record<string, string>>): NetworkPolicy & KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'products-prod', ...(labels === undefined ? {} : { labels }) },
    spec,
  };
}

/** The managed single default-deny the baseline creates. */
export const managedDefaultDeny: NetworkPolicy & KubeObject = networkPolicy(
  'default-deny',
  { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  { 'app.kubernetes.io/managed-by': 'netpol-hygiene' },
);

/** The RFC 6902 operations carried (base64) in an AdmissionResponse, or undefined. */
export function decodePatch(response: AdmissionResponse): PatchOperation[] | undefined {
  return response.patch === undefined ? undefined : (JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as PatchOperation[]);
}
