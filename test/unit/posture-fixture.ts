/** A cluster with one namespace per posture case, for the posture's unit tests and its HTML test. */
import { profileFor } from '../../src/config/profiles.ts';
import type { KubeObject } from '../../src/kube/admission-review.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import type { ClusterObjects } from '../../src/report/posture.ts';
import { configWith } from './helpers.ts';

/** The defaults, with tier db entitled to service account products-db only. */
export const config = configWith({ tierEntitlements: { db: [{ serviceAccounts: ['products-db'] }] } });
const managed = { 'app.kubernetes.io/managed-by': 'netpol-hygiene' };

export function namespace(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, ...extra };
}

export function baseline(name: string): NetworkPolicy[] {
  return renderBaseline(name, profileFor(undefined, config).profile, config);
}

function policy(namespace: string, name: string, spec: NetworkPolicy['spec'], labels?: Record<string, string>): NetworkPolicy {
  return { kind: 'NetworkPolicy', metadata: { name, namespace, ...(labels === undefined ? {} : { labels }) }, spec };
}

function pod(namespace: string, name: string, options: { tier?: string; serviceAccount?: string; phase?: string } = {}): KubeObject {
  return {
    kind: 'Pod',
    metadata: { name, namespace, labels: options.tier === undefined ? { app: name } : { app: name, tier: options.tier } },
    spec: { serviceAccountName: options.serviceAccount ?? 'default', containers: [{ name: 'main', image: 'nginx:1.27' }] },
    status: { phase: options.phase ?? 'Running' },
  };
}

const openDb = (ns: string): NetworkPolicy => policy(ns, 'open-db', { podSelector: { matchLabels: { tier: 'db' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8082 }] }] });
export const seedNames = ['default-deny', 'allow-dns', 'allow-cluster-egress', 'allow-ingress-to-ui', 'allow-ui-to-business', 'allow-business-to-db'];

export const objects: ClusterObjects = {
  server: 'https://127.0.0.1:6443',
  namespaces: [
    namespace('shop-complete'),
    namespace('shop-missing'),
    namespace('shop-edited'),
    namespace('shop-foreign'),
    namespace('shop-obsolete'),
    namespace('shop-above'),
    namespace('shop-pods'),
    namespace('kube-system'),
    namespace('netpol-hygiene'),
    namespace('shop-leaving', { status: { phase: 'Terminating' } }),
  ],
  policies: [
    ...baseline('shop-complete'),
    ...baseline('shop-missing').filter((p) => !['allow-dns', 'allow-business-to-db'].includes(p.metadata?.name ?? '')),
    ...baseline('shop-edited').map((p) => (p.metadata?.name === 'default-deny' ? { ...p, spec: { podSelector: {}, policyTypes: ['Ingress' as const] } } : p)),
    ...baseline('shop-foreign').map((p) => (p.metadata?.name === 'allow-dns' ? { ...p, metadata: { ...p.metadata, labels: { team: 'shop' } } } : p)),
    ...baseline('shop-obsolete'),
    policy('shop-obsolete', 'allow-legacy', { podSelector: {}, policyTypes: ['Ingress'] }, managed),
    ...baseline('shop-above'),
    openDb('shop-above'),
    ...baseline('shop-pods'),
    openDb('kube-system'),
  ],
  pods: [
    pod('shop-pods', 'web', { tier: 'ui' }),
    pod('shop-pods', 'worker'),
    pod('shop-pods', 'front', { tier: 'frontend' }),
    pod('shop-pods', 'db-0', { tier: 'db' }),
    pod('shop-pods', 'db-1', { tier: 'db', serviceAccount: 'products-db' }),
    pod('shop-pods', 'migrate', { phase: 'Succeeded' }),
    pod('kube-system', 'coredns'),
    pod('shop-leaving', 'old'),
  ],
};
