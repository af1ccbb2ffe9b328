import t from 'tap';
import { pino } from 'pino';
import { type Converger, Reconciler, type ReconcilerCache, reconcileBackoff } from '../../src/cluster/reconciler.ts';
import type { CacheEvent } from '../../src/cluster/resource-cache.ts';
import { isDeepStrictEqual } from 'node:util';
import { isManaged, renderBaseline } from '../../src/policy/baseline.ts';
import { ClusterStateUnavailableError } from '../../src/policy/decision.ts';
import type { NamespaceView } from '../../src/policy/decision.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { configWith, defaultConfig, recordingAudit } from './helpers.ts';
import { fakeClock } from './fake-clock.ts';

const config = configWith({ reconcile: { resyncSeconds: 3600, leaseDurationSeconds: 15 } });
const seed = defaultConfig.profiles.seed!;

/** Map-backed caches that the test drives by emitting events, as the informers would. */
function fakeCaches(namespaces: NamespaceView[], policies: Record<string, NetworkPolicy[]>) {
  const namespaceListeners: ((e: CacheEvent<NamespaceView>) => void)[] = [];
  const policyListeners: ((e: CacheEvent<NetworkPolicy>) => void)[] = [];
  const cache: ReconcilerCache = {
    namespaces: {
      all: () => namespaces,
      get: (_: string, name: string) => namespaces.find((n) => n.name === name),
      onEvent: (listener) => void namespaceListeners.push(listener),
    },
    policies: {
      list: (namespace) => policies[namespace] ?? [],
      onEvent: (listener) => void policyListeners.push(listener),
    },
    notReadyReason: () => notReady,
  };
  let notReady: string | undefined;
  return {
    cache,
    setNotReady: (reason: string | undefined) => (notReady = reason),
    emitNamespace: (event: CacheEvent<NamespaceView>) => namespaceListeners.forEach((l) => l(event)),
    emitPolicy: (event: CacheEvent<NetworkPolicy>) => policyListeners.forEach((l) => l(event)),
  };
}

/** Records converge calls; "applies" by putting the desired policies into the fake cache. */
function recordingConverger(policies: Record<string, NetworkPolicy[]>, failTimes = 0, unavailableReads = 0) {
  const calls: { namespace: string; trigger: string }[] = [];
  let failuresLeft = failTimes;
  let unavailableLeft = unavailableReads;
  const converger: Converger = {
    needsRepair(namespace) {
      if (unavailableLeft > 0) {
        unavailableLeft -= 1;
        throw new ClusterStateUnavailableError('namespaces cache lost the API server 31s ago');
      }
      const have = new Map((policies[namespace] ?? []).map((p) => [p.metadata?.name, p]));
      return renderBaseline(namespace, seed, config).some((wanted) => {
        const current = have.get(wanted.metadata?.name);
        return current === undefined || (isManaged(current) && !isDeepStrictEqual(current.spec, wanted.spec));
      });
    },
    async converge(namespace, options) {
      calls.push({ namespace, trigger: options.trigger });
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('connection refused');
      }
      const before = new Set((policies[namespace] ?? []).map((p) => p.metadata?.name));
      policies[namespace] = renderBaseline(namespace, seed, config);
      return { policies: policies[namespace], changed: policies[namespace].map((p) => p.metadata?.name ?? '').filter((n) => !before.has(n)) };
    },
  };
  return { converger, calls };
}

const ns = (name: string, terminating = false): NamespaceView => ({ name, labels: {}, terminating });

// The converger answers without I/O, so whatever an event starts is done once queued callbacks have run;
// the reconciler's retries and resyncs are on a clock the test moves.
const time = fakeClock();
const settle = (): Promise<void> => time.settle();
const clock = time.clock;

t.test('start-up backfill repairs only governed namespaces that need it, with one summary record', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = { complete: renderBaseline('complete', seed, config) };
  const { cache } = fakeCaches([ns('legacy'), ns('complete'), ns('kube-system'), ns('netpol-hygiene'), ns('leaving', true)], policies);
  const { converger, calls } = recordingConverger(policies);
  const audit = recordingAudit();
  const reconciler = new Reconciler({ config, cache, converger, audit, log: pino({ level: 'silent' }), clock });
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await settle();
  t.same(calls, [{ namespace: 'legacy', trigger: 'start-up backfill' }], 'each namespace converged (and recorded) as any repair is');
  t.same(audit.records, [
    { event: 'repair', namespace: '*', action: 'backfill', policies: [], trigger: 'start-up', message: 'start-up backfill: applied the baseline to 1 existing namespace(s): legacy' },
  ]);
});

t.test('events after start-up: new namespace, deleted or edited managed policy; unmanaged ones are ignored', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const namespaces = [ns('products-prod')];
  const { cache, emitNamespace, emitPolicy } = fakeCaches(namespaces, policies);
  const { converger, calls } = recordingConverger(policies);
  const reconciler = new Reconciler({ config, cache, converger, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await settle();
  calls.length = 0;

  namespaces.push(ns('products-stage'));
  emitNamespace({ type: 'added', object: ns('products-stage') });
  await settle();
  t.same(calls, [{ namespace: 'products-stage', trigger: 'namespace created' }], 'a new namespace gets its baseline');

  calls.length = 0;
  const allowDns = policies['products-prod']!.find((p) => p.metadata?.name === 'allow-dns')!;
  policies['products-prod'] = policies['products-prod']!.filter((p) => p !== allowDns);
  emitPolicy({ type: 'deleted', object: allowDns, previous: allowDns });
  await settle();
  t.same(calls, [{ namespace: 'products-prod', trigger: 'managed policy "allow-dns" was deleted' }], 'a deleted managed policy is re-created');

  calls.length = 0;
  const defaultDeny = policies['products-prod']!.find((p) => p.metadata?.name === 'default-deny')!;
  const weakened: NetworkPolicy = { ...defaultDeny, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } };
  policies['products-prod'] = policies['products-prod']!.map((p) => (p === defaultDeny ? weakened : p));
  emitPolicy({ type: 'modified', object: weakened, previous: defaultDeny });
  await settle();
  t.same(calls, [{ namespace: 'products-prod', trigger: 'managed policy "default-deny" was changed' }], 'an edited managed policy is restored');

  calls.length = 0;
  const mine: NetworkPolicy = { metadata: { name: 'team-policy', namespace: 'products-prod' }, spec: { podSelector: {} } };
  emitPolicy({ type: 'deleted', object: mine, previous: mine });
  emitPolicy({ type: 'modified', object: weakened, previous: weakened });
  await settle();
  t.same(calls, [], 'an unmanaged policy, or a namespace already in shape, causes no write');
});

t.test('a failed repair is retried after 1 s, then 2 s: the backoff doubles', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const namespaces: NamespaceView[] = [];
  const { cache, emitNamespace } = fakeCaches(namespaces, policies);
  const { converger, calls } = recordingConverger(policies, 2);
  const attempts: number[] = [];
  const timed: Converger = { needsRepair: (n) => converger.needsRepair(n), converge: (n, o) => (attempts.push(time.now()), converger.converge(n, o)) };
  const reconciler = new Reconciler({ config, cache, converger: timed, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await settle();
  namespaces.push(ns('flaky'));
  const failedAt = time.now();
  emitNamespace({ type: 'added', object: ns('flaky') });
  await settle();
  t.equal(calls.length, 1, 'first attempt failed');
  t.same(reconciler.status().failingNamespaces, 1, 'and the namespace counts as failing');
  await time.advance(999);
  t.equal(calls.length, 1, 'no retry before the backoff has passed');
  await time.advance(2_001);
  t.same(calls.map((c) => c.trigger), ['namespace created', 'namespace created (retry 1)', 'namespace created (retry 2)'], 'retried, naming the original trigger');
  t.same(attempts.map((at) => at - failedAt), [0, reconcileBackoff.baseMs, 3 * reconcileBackoff.baseMs], 'after 1 s, then 2 s more');
  t.same(policies.flaky?.map((p) => p.metadata?.name), ['default-deny', 'allow-dns', 'allow-cluster-egress', 'allow-ingress-to-ui', 'allow-ui-to-business', 'allow-business-to-db'], 'and converged');
  t.equal(reconciler.status().failingNamespaces, 0);
});

t.test('a retry pending when leadership is lost never fires', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const namespaces: NamespaceView[] = [];
  const { cache, emitNamespace } = fakeCaches(namespaces, policies);
  const { converger, calls } = recordingConverger(policies, 1);
  const reconciler = new Reconciler({ config, cache, converger, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  reconciler.start();
  await settle();
  namespaces.push(ns('flaky'));
  emitNamespace({ type: 'added', object: ns('flaky') });
  await settle();
  reconciler.stop();
  await time.advance(reconcileBackoff.maxMs);
  t.same(calls.map((c) => c.trigger), ['namespace created']);
});

t.test('backfill waits for the caches, then runs once they answer', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const { cache, setNotReady } = fakeCaches([ns('legacy')], policies);
  const { converger, calls } = recordingConverger(policies);
  const reconciler = new Reconciler({ config, cache, converger, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  setNotReady('namespaces cache has not synced yet');
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await time.advance(5_000);
  t.same(calls, [], 'nothing is decided on caches that cannot answer');
  t.equal(reconciler.status().lastFullResync, undefined);
  setNotReady(undefined);
  const synced = time.now();
  const backfilled = await time.advanceUntil(() => calls.length === 1, 1_000);
  t.same(calls, [{ namespace: 'legacy', trigger: 'start-up backfill' }]);
  t.ok(backfilled - synced <= 200, `at the next look, every 200 ms (${backfilled - synced} ms)`);
  t.same(reconciler.status().lastFullResync, new Date(backfilled), 'dated on the clock');
});

t.test('every governed namespace is queued again each resyncSeconds', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const { cache } = fakeCaches([ns('a'), ns('kube-system')], policies);
  const { converger, calls } = recordingConverger(policies);
  const reconciler = new Reconciler({ config, cache, converger, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  const started = time.now();
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await settle();
  delete policies.a;
  await time.advance(3_599_999);
  t.same(calls.map((c) => c.trigger), ['start-up backfill'], 'not before the hour');
  await time.advance(1);
  t.same(calls.map((c) => c.trigger), ['start-up backfill', 'periodic resync']);
  t.same(reconciler.status().lastFullResync, new Date(started + 3_600_000));
});

t.test('a stopped reconciler (lost leadership) writes nothing', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const namespaces = [ns('products-prod')];
  const { cache, emitNamespace } = fakeCaches(namespaces, policies);
  const { converger, calls } = recordingConverger(policies);
  const reconciler = new Reconciler({ config, cache, converger, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  emitNamespace({ type: 'added', object: ns('products-prod') });
  await settle();
  t.same(calls, [], 'not started: not the leader');
  reconciler.start();
  await settle();
  reconciler.stop();
  calls.length = 0;
  namespaces.push(ns('late'));
  emitNamespace({ type: 'added', object: ns('late') });
  await settle();
  t.same(calls, []);
});

t.test('an API-server outage during backfill does not stop the reconciler', async (t) => {
  const policies: Record<string, NetworkPolicy[]> = {};
  const namespaces = [ns('a'), ns('b')];
  const { cache, emitNamespace } = fakeCaches(namespaces, policies);
  const { converger, calls } = recordingConverger(policies, 0, 2);
  const reconciler = new Reconciler({ config, cache, converger, audit: recordingAudit(), log: pino({ level: 'silent' }), clock });
  reconciler.start();
  t.teardown(() => reconciler.stop());
  await settle();
  t.same(calls.map((c) => c.namespace).sort(), ['a', 'b'], 'both namespaces repaired once the cache answers again');
  namespaces.push(ns('c'));
  emitNamespace({ type: 'added', object: ns('c') });
  await settle();
  t.same(calls.at(-1), { namespace: 'c', trigger: 'namespace created' }, 'and later events are still handled');
});
