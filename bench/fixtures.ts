/**
 * The benchmark's request bodies: the Pod AdmissionReview the kube-apiserver sends when a
 * Deployment's ReplicaSet creates a replica in products-prod. Built here rather than read from
 * test/fixtures so the benchmark's shape (size, tier label or not) is fixed by the benchmark.
 *
 * Two variants, as the two webhooks see the same pod in a real cluster:
 * - `mutate`: no `tier` label, so POD-TIER must infer one (the namespace default, `ui`) and
 *   answer with a JSON patch: the expensive path (clone of the pod plus a full diff).
 * - `validate`: the pod as the mutating webhook left it (tier label and tier-source
 *   annotation), so POD-TIER passes and POD-PROTECTED checks the namespace's policies.
 *
 * Bodies are compact JSON, as the API server sends them.
 */
import type { Config } from '../src/config/types.ts';
import type { AdmissionReview, KubeObject } from '../src/kube/admission-review.ts';
import { renderBaseline } from '../src/policy/baseline.ts';
import type { NamespaceView } from '../src/policy/decision.ts';
import type { NetworkPolicy } from '../src/kube/network-policy.ts';
import { annotations, labels } from '../src/kube/vocabulary.ts';

export type Variant = 'mutate' | 'validate';

export const benchNamespace = 'products-prod';

/**
 * The namespace as the informer cache holds it once the webhook has governed it: the seed
 * profile, and a default tier so inference succeeds via `namespace-default`.
 */
export const benchNamespaceView: NamespaceView = {
  name: benchNamespace,
  labels: {
    [labels.namespaceName]: benchNamespace,
    [labels.profile]: 'seed',
    [labels.defaultTier]: 'ui',
    team: 'products',
    environment: 'prod',
  },
  terminating: false,
};

/**
 * The namespace's baseline, as the reconciler would have applied it (steady state). The config
 * is the caller's: importing the loader here would put the YAML parser and the config's
 * validator into the benchmarked server, which `serve` keeps out (src/config/load-in-child.ts).
 */
export function benchBaseline(config: Config): NetworkPolicy[] {
  const seed = config.profiles.seed;
  if (seed === undefined) throw new Error('the built-in config has no "seed" profile');
  return renderBaseline(benchNamespace, seed, config);
}

/**
 * autocannon's `idReplacement` swaps this for a fresh id in every request, so each review
 * carries its own uid as the API server's do.
 */
export const autocannonUidPlaceholder = '[<id>]';

const serviceAccountVolume = 'kube-api-access-7xk2p';
const serviceAccountMount = { name: serviceAccountVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
const containerDefaults = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' };

function fieldRef(name: string, fieldPath: string): object {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function httpProbe(path: string, port: number, extra: object = {}): object {
  return { httpGet: { path, port, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...extra };
}

const initContainers = [
  {
    name: 'render-config',
    image: 'registry.example.com/products/config-renderer:2.4.1',
    command: ['/bin/render', '--template', '/templates/default.conf.tmpl', '--out', '/etc/nginx/conf.d/default.conf'],
    env: [
      { name: 'UPSTREAM', value: 'business.products-prod.svc.cluster.local:8081' },
      fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    ],
    resources: { limits: { memory: '64Mi' }, requests: { cpu: '10m', memory: '32Mi' } },
    volumeMounts: [{ name: 'nginx-conf', mountPath: '/etc/nginx/conf.d' }, serviceAccountMount],
    ...containerDefaults,
  },
];

const containers = [
  {
    name: 'web',
    image: 'docker.io/library/nginx:1.27.3',
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: [
      { name: 'BUSINESS_URL', value: 'http://business.products-prod.svc.cluster.local:8081' },
      fieldRef('POD_NAME', 'metadata.name'),
      { name: 'SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'web-session', key: 'secret' } } },
    ],
    resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    volumeMounts: [{ name: 'nginx-conf', readOnly: true, mountPath: '/etc/nginx/conf.d' }, { name: 'nginx-logs', mountPath: '/var/log/nginx' }, serviceAccountMount],
    livenessProbe: httpProbe('/healthz', 8080, { initialDelaySeconds: 5 }),
    readinessProbe: httpProbe('/ready', 8080, { periodSeconds: 5 }),
    ...containerDefaults,
  },
  {
    name: 'metrics',
    image: 'docker.io/nginx/nginx-prometheus-exporter:1.3.0',
    args: ['--nginx.scrape-uri=http://127.0.0.1:8080/stub_status', '--web.listen-address=:9113'],
    ports: [{ name: 'metrics', containerPort: 9113, protocol: 'TCP' }],
    env: [{ name: 'SSL_VERIFY', value: 'false' }],
    resources: { limits: { memory: '32Mi' }, requests: { cpu: '5m', memory: '16Mi' } },
    volumeMounts: [serviceAccountMount],
    ...containerDefaults,
  },
  {
    name: 'log-shipper',
    image: 'cr.fluentbit.io/fluent/fluent-bit:3.2.4',
    env: [
      { name: 'FLUENT_ELASTICSEARCH_HOST', value: 'logs.observability.svc.cluster.local' },
      { name: 'FLUENT_ELASTICSEARCH_PORT', value: '9200' },
      fieldRef('NODE_NAME', 'spec.nodeName'),
    ],
    resources: { limits: { memory: '96Mi' }, requests: { cpu: '20m', memory: '48Mi' } },
    volumeMounts: [
      { name: 'nginx-logs', readOnly: true, mountPath: '/var/log/nginx' },
      { name: 'shipper-config', readOnly: true, mountPath: '/fluent-bit/etc/' },
      serviceAccountMount,
    ],
    ...containerDefaults,
  },
];

const volumes = [
  { name: 'nginx-conf', emptyDir: {} },
  { name: 'nginx-logs', emptyDir: { sizeLimit: '256Mi' } },
  { name: 'shipper-config', configMap: { name: 'web-log-shipper', defaultMode: 420 } },
  {
    name: serviceAccountVolume,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  },
];

/**
 * The FieldsV1 set kube-controller-manager owns: every field of the template, with list items
 * keyed the way server-side apply keys them (`k:{"name":"web"}`) and atomic lists (command,
 * tolerations, ...) as a bare `{}`. Derived from the spec above so the two cannot drift; real
 * pods carry exactly this kind of mirror.
 */
function fieldsV1(value: unknown): object {
  if (typeof value !== 'object' || value === null) return {};
  if (Array.isArray(value)) {
    const items: Record<string, object> = { '.': {} };
    for (const item of value as Record<string, unknown>[]) {
      const key = listItemKey(item);
      if (key === undefined) return {};
      items[key] = { '.': {}, ...fieldsV1(item) };
    }
    return items;
  }
  const fields: Record<string, object> = {};
  for (const [key, child] of Object.entries(value)) {
    fields[`f:${key}`] = typeof child === 'object' && child !== null && !Array.isArray(child) ? { '.': {}, ...fieldsV1(child) } : fieldsV1(child);
  }
  return fields;
}

function listItemKey(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const fields = item as Record<string, unknown>;
  if (typeof fields.containerPort === 'number') return `k:{"containerPort":${fields.containerPort},"protocol":"${String(fields.protocol ?? 'TCP')}"}`;
  if (typeof fields.mountPath === 'string') return `k:{"mountPath":"${fields.mountPath}"}`;
  if (typeof fields.name === 'string') return `k:{"name":"${fields.name}"}`;
  return undefined;
}

function podObject(variant: Variant): KubeObject {
  const templateLabels = { app: 'web', 'pod-template-hash': '7f9c8d6b5' };
  const templateAnnotations = {
    'kubectl.kubernetes.io/restartedAt': '2025-11-20T09:14:02Z',
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': '9113',
  };
  const spec = {
    volumes,
    initContainers,
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'web',
    serviceAccount: 'web',
    securityContext: { runAsNonRoot: true, runAsUser: 101, fsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } },
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
  // What the mutating webhook adds; the validating webhook sees the pod after it.
  const mutated = variant === 'validate';
  // A variable, not a literal in return position: the wire object has more fields than KubeObject names.
  const pod = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      generateName: 'web-7f9c8d6b5-',
      namespace: benchNamespace,
      creationTimestamp: null,
      labels: mutated ? { ...templateLabels, tier: 'ui' } : templateLabels,
      annotations: mutated ? { ...templateAnnotations, [annotations.tierSource]: 'namespace-default' } : templateAnnotations,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7f9c8d6b5', uid: 'd9607e19-f88f-11e6-a518-42010a800195', controller: true, blockOwnerDeletion: true },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2025-11-24T08:02:11Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:annotations': fieldsV1(templateAnnotations),
              'f:generateName': {},
              'f:labels': fieldsV1(templateLabels),
              'f:ownerReferences': { '.': {}, 'k:{"uid":"d9607e19-f88f-11e6-a518-42010a800195"}': {} },
            },
            'f:spec': fieldsV1(spec),
          },
        },
      ],
    },
    spec,
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
  return pod;
}

/** The whole review for one request. `uid` must be unique per request in a real cluster. */
export function podReview(variant: Variant, uid: string): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: '',
      namespace: benchNamespace,
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '6a1c1a1e-8e0b-4b47-a1a4-9f4d3c2b1a00',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: podObject(variant),
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    } as AdmissionReview['request'],
  };
}

/**
 * The compact JSON body split around its uid, so a load generator can make a fresh body per
 * request by concatenation instead of re-serialising 10 KB.
 */
export function reviewBodyTemplate(variant: Variant): { before: string; after: string } {
  const marker = '__BENCH_UID__';
  const body = JSON.stringify(podReview(variant, marker));
  const at = body.indexOf(marker);
  return { before: body.slice(0, at), after: body.slice(at + marker.length) };
}

export function reviewBody(variant: Variant, uid: string): string {
  const { before, after } = reviewBodyTemplate(variant);
  return before + uid + after;
}
