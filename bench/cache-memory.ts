/**
 * Memory of the informer caches at scale: 10,000 namespaces with the six-policy baseline each
 * (60,000 NetworkPolicies), fed through the real ResourceCache/ClusterCache code from list
 * pages shaped as the API server serves them (managedFields included). Run with --expose-gc:
 *   node --expose-gc bench/cache-memory.ts [--namespaces N]
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ClusterCache } from '../src/cluster/cluster-cache.ts';
import type { KubeApi } from '../src/cluster/kube-api.ts';
import { loadConfig } from '../src/config/load.ts';
import { renderBaseline } from '../src/policy/baseline.ts';

const { values } = parseArgs({ options: { namespaces: { type: 'string', default: '10000' } } });
const namespaceCount = Number(values.namespaces);
const pageSize = 500;
const config = loadConfig();
const seed = config.profiles.seed!;

function managedFields(manager: string): unknown[] {
  return [{ manager, operation: 'Apply', apiVersion: 'v1', time: '2026-11-24T08:02:11Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/managed-by': {} } }, 'f:spec': { 'f:podSelector': {}, 'f:policyTypes': {}, 'f:ingress': {}, 'f:egress': {} } } }];
}

function namespaceObject(i: number): Record<string, unknown> {
  const name = `team-${String(i).padStart(5, '0')}`;
  return {
    metadata: {
      name,
      uid: `0b7f3c1e-8d2a-4c55-9e0f-${String(i).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: '2026-11-24T08:00:00Z',
      labels: { 'kubernetes.io/metadata.name': name, 'netpol-hygiene.io/profile': 'seed', team: `team-${i % 97}` },
      managedFields: managedFields('kubectl-create'),
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function policyObjects(i: number): Record<string, unknown>[] {
  const namespace = `team-${String(i).padStart(5, '0')}`;
  return renderBaseline(namespace, seed, config).map((policy, j) => ({
    ...policy,
    metadata: { ...policy.metadata, uid: `9a1b-${i}-${j}`, resourceVersion: String(500000 + i * 6 + j), generation: 1, creationTimestamp: '2026-11-24T08:00:01Z', managedFields: managedFields('netpol-hygiene') },
  }));
}

/** Serves list pages from generated objects; watches stay open and silent. */
function fakeApi(): KubeApi {
  const pages = (path: string, start: number): { items: Record<string, unknown>[]; next?: number } => {
    const end = Math.min(start + pageSize, namespaceCount);
    const items: Record<string, unknown>[] = [];
    for (let i = start; i < end; i++) {
      if (path.includes('networkpolicies')) items.push(...policyObjects(i));
      else items.push(namespaceObject(i));
    }
    return { items, next: end < namespaceCount ? end : undefined };
  };
  return {
    async request(_method: string, path: string, options: { query?: Record<string, string | undefined> } = {}) {
      const { items, next } = pages(path, Number(options.query?.continue ?? '0'));
      return { metadata: { resourceVersion: '999999', continue: next === undefined ? undefined : String(next) }, items };
    },
    watch: () => () => {},
  } as unknown as KubeApi;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  process.stderr.write('run with --expose-gc for a meaningful figure\n');
}
const before = heapMiB();
const cache = new ClusterCache(fakeApi(), pino({ level: 'silent' }));
cache.start();
while (cache.notReadyReason() !== undefined) await new Promise((resolve) => setTimeout(resolve, 50));
const after = heapMiB();
const objects = namespaceCount * (1 + seed.tiers.length + 3);
const started = performance.now();
let lookups = 0;
for (let i = 0; i < 100_000; i++) {
  const name = `team-${String(i % namespaceCount).padStart(5, '0')}`;
  if (cache.namespace(name) !== undefined && cache.networkPolicies(name).length === 6) lookups++;
}
const lookupNs = ((performance.now() - started) * 1e6) / 100_000;
cache.stop();
process.stdout.write(
  `informer caches: ${namespaceCount} namespaces + ${namespaceCount * 6} NetworkPolicies (${objects} objects) ` +
    `hold ${(after - before).toFixed(1)} MiB of heap (${Math.round(((after - before) * 1048576) / objects)} B per object); ` +
    `RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB; lookup namespace + policies ${lookupNs.toFixed(0)} ns (${lookups} hits)\n`,
);
