// Leader election against a scripted API server that keeps one Lease with resourceVersion
// semantics (409 on a stale update), as kube-apiserver does, on a clock the test moves: the
// intervals and the order of events are asserted exactly, whatever the machine's load.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { KubeApi } from '../../src/cluster/kube-api.ts';
import { LeaderElector, leaseTiming } from '../../src/cluster/leader-election.ts';
import { type FakeClock, fakeClock } from './fake-clock.ts';
import { type Reply, type ScriptedServer, startScriptedServer, status } from './scripted-api-server.ts';

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const leasePath = '/apis/coordination.k8s.io/v1/namespaces/netpol-hygiene/leases/netpol-hygiene-reconciler';

/** One Lease in memory; `failing` answers every call with 500 (etcd gone), `hanging` never answers (API server stopped). */
function leaseStore() {
  let version = 0;
  const store = {
    lease: undefined as LeaseObject | undefined,
    failing: false,
    hanging: false,
    /** The renewTime of every successful write, in order. */
    written: [] as string[],
    script(method: string, url: string, body: string): Reply | Promise<Reply> {
      if (store.hanging) return new Promise<Reply>(() => {});
      if (store.failing) return status(500, 'InternalError', 'etcd is down');
      if (method === 'GET' && url === leasePath) return store.lease === undefined ? status(404, 'NotFound', 'not found') : { status: 200, body: store.lease };
      const sent = JSON.parse(body || '{}') as LeaseObject;
      if (method === 'POST') {
        if (store.lease !== undefined) return status(409, 'AlreadyExists', 'already exists');
        return store.write(sent, 201);
      }
      if (method === 'PUT' && url === leasePath) {
        if (sent.metadata.resourceVersion !== store.lease?.metadata.resourceVersion) return status(409, 'Conflict', 'the object has been modified');
        return store.write(sent, 200);
      }
      return status(405, 'MethodNotAllowed', `${method} ${url}`);
    },
    write(sent: LeaseObject, code: number): Reply {
      store.lease = { ...sent, metadata: { ...sent.metadata, resourceVersion: String(++version) } };
      store.written.push(sent.spec.renewTime ?? '');
      return { status: code, body: store.lease };
    },
  };
  return store;
}

type Store = ReturnType<typeof leaseStore>;

/** A client whose calls are counted, so the clock stands still while one is on the wire (a hanging one excepted). */
function countedApi(server: ScriptedServer, store: Store): { api: KubeApi; idle: () => boolean } {
  const api = server.api();
  const request = api.request.bind(api);
  let inFlight = 0;
  api.request = (async (...args: Parameters<KubeApi['request']>) => {
    inFlight += 1;
    try {
      return await request(...args);
    } finally {
      inFlight -= 1;
    }
  }) as KubeApi['request'];
  return { api, idle: () => inFlight === 0 || store.hanging };
}

interface Candidate {
  readonly elector: LeaderElector;
  /** `started` / `stopped`, each with the fake time it happened at. */
  readonly events: { event: string; at: number }[];
}

function candidate(t: Test, api: KubeApi, time: FakeClock, identity: string, leaseDurationSeconds = 1.5): Candidate {
  const events: { event: string; at: number }[] = [];
  const elector = new LeaderElector(
    api,
    {
      namespace: 'netpol-hygiene',
      leaseName: 'netpol-hygiene-reconciler',
      identity,
      leaseDurationSeconds,
      onStartedLeading: () => events.push({ event: 'started', at: time.now() }),
      onStoppedLeading: () => events.push({ event: 'stopped', at: time.now() }),
      clock: time.clock,
    },
    pino({ level: 'silent' }),
  );
  t.teardown(() => elector.stop());
  return { elector, events };
}

async function setUp(t: Test): Promise<{ store: Store; server: ScriptedServer; api: KubeApi; time: FakeClock }> {
  const store = leaseStore();
  const server = await startScriptedServer(t, (r) => store.script(r.method, r.url, r.body));
  const { api, idle } = countedApi(server, store);
  return { store, server, api, time: fakeClock({ idle }) };
}

/** Lease times are MicroTime; the clock's milliseconds, as the elector writes them. */
const micro = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const names = (events: { event: string }[]): string[] => events.map((e) => e.event);

t.test('the timing follows the lease: renew every third, give up after two thirds, checked often enough to be gone by five sixths', async (t) => {
  t.same(leaseTiming(1.5), { renewEveryMs: 500, stepDownAfterMs: 1000, deadlineCheckEveryMs: 250 });
  t.same(leaseTiming(15), { renewEveryMs: 5000, stepDownAfterMs: 10_000, deadlineCheckEveryMs: 500 });
});

t.test('a free lease is created and held, and renewed every third of its duration', async (t) => {
  const { store, server, api, time } = await setUp(t);
  const started = time.now();
  const a = candidate(t, api, time, 'replica-a');
  a.elector.start();
  await time.settle();
  t.same(a.events, [{ event: 'started', at: started }]);
  t.equal(store.lease?.spec.holderIdentity, 'replica-a');
  t.equal(store.lease?.spec.leaseTransitions, 0);
  t.match(store.lease?.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime: six fractional digits');
  await time.advance(2_000);
  t.same(store.written, [0, 500, 1000, 1500, 2000].map((ms) => micro(started + ms)), 'created, then renewed every 500 ms of a 1.5 s lease');
  t.same(server.requests.map((r) => r.method), ['GET', 'POST', ...Array.from({ length: 4 }, () => ['GET', 'PUT']).flat()], 'each renewal reads, then updates with the resourceVersion it read');
  t.same(names(a.events), ['started'], 'still leading');
});

t.test('a lease another replica keeps renewing is left alone; one it stopped renewing is taken over a lease after it last saw a renewal', async (t) => {
  const { store, api, time } = await setUp(t);
  store.lease = {
    metadata: { name: 'netpol-hygiene-reconciler', namespace: 'netpol-hygiene', resourceVersion: '100' },
    spec: { holderIdentity: 'replica-b', leaseDurationSeconds: 1, renewTime: '2026-01-01T00:00:00.000000Z', leaseTransitions: 3 },
  };
  const started = time.now();
  // replica-b renews every 350 ms, five times, then dies.
  let renewals = 0;
  const keepAlive = time.clock.setInterval(() => {
    if (store.lease === undefined || renewals === 5) return;
    renewals += 1;
    store.lease = { ...store.lease, spec: { ...store.lease.spec, renewTime: micro(time.now()) } };
  }, 350);
  t.teardown(() => time.clock.clearInterval(keepAlive));
  const a = candidate(t, api, time, 'replica-a');
  a.elector.start();
  const tookOver = await time.advanceUntil(() => a.events.length > 0, 10_000);
  t.same(names(a.events), ['started']);
  t.equal(store.lease?.spec.holderIdentity, 'replica-a');
  t.equal(store.lease?.spec.leaseTransitions, 4, 'a transition is counted');
  // Attempts every 500 ms; the last renewal (at 1750) is first seen at 2000; 1 s later it may count as expired,
  // and the first attempt after that (3500) takes over.
  t.equal(tookOver - started, 3500, 'the first attempt more than the holder’s lease after its last renewal was seen');
});

t.test('a leader whose API server stops answering steps down before its lease could expire', async (t) => {
  const { store, api, time } = await setUp(t);
  const a = candidate(t, api, time, 'replica-a');
  a.elector.start();
  await time.advance(600);
  const lastRenewal = Date.parse(store.lease?.spec.renewTime ?? '');
  t.equal(lastRenewal, time.now() - 100, 'renewed at 500 ms');
  store.hanging = true;
  const stepped = await time.advanceUntil(() => a.events.length === 2, 10_000);
  t.same(names(a.events), ['started', 'stopped']);
  t.ok(stepped < lastRenewal + 1500, `gone before renewTime + leaseDuration, when another replica may take over (${stepped - lastRenewal} ms after the renewal)`);
  t.ok(stepped > lastRenewal + 1000, 'and not before two thirds of the lease: the renewal was still valid');
});

t.test('a leader whose renewals fail steps down in time, and leads again once they succeed', async (t) => {
  const { store, api, time } = await setUp(t);
  const a = candidate(t, api, time, 'replica-a');
  a.elector.start();
  await time.settle();
  const lastRenewal = Date.parse(store.lease?.spec.renewTime ?? '');
  store.failing = true;
  const stepped = await time.advanceUntil(() => a.events.length === 2, 10_000);
  t.ok(stepped < lastRenewal + 1500 && stepped > lastRenewal + 1000, `stepped down ${stepped - lastRenewal} ms after the last renewal`);
  store.failing = false;
  const again = await time.advanceUntil(() => a.events.length === 3, 10_000);
  t.same(names(a.events), ['started', 'stopped', 'started']);
  t.equal(store.lease?.spec.renewTime, micro(again), 'with a renewal written at the moment it leads again');
  t.equal(store.lease?.spec.leaseTransitions, 0, 'its own lease: no transition');
});

t.test('stop releases the lease so another replica need not wait for it to expire', async (t) => {
  const { store, api, time } = await setUp(t);
  const a = candidate(t, api, time, 'replica-a', 15);
  a.elector.start();
  await time.settle();
  await a.elector.stop();
  t.same(names(a.events), ['started', 'stopped']);
  t.equal(store.lease?.spec.holderIdentity, '');
  t.equal(store.lease?.spec.leaseDurationSeconds, 1);
});

t.test('of two candidates racing for a free lease, exactly one leads, for several lease durations', async (t) => {
  const { store, api, time } = await setUp(t);
  const a = candidate(t, api, time, 'replica-a', 3);
  const b = candidate(t, api, time, 'replica-b', 3);
  a.elector.start();
  b.elector.start();
  await time.advance(10_000);
  t.same([a.events.length, b.events.length].sort(), [0, 1]);
  t.equal(store.lease?.spec.holderIdentity, a.events.length === 1 ? 'replica-a' : 'replica-b');
});
