// Leader election against a scripted API server that keeps one Lease with resourceVersion
// semantics (409 on a stale update), as kube-apiserver does.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { LeaderElector } from '../../src/cluster/leader-election.ts';
import { type Reply, type ScriptedServer, startScriptedServer, status } from './scripted-api-server.ts';

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const leasePath = '/apis/coordination.k8s.io/v1/namespaces/netpol-hygiene/leases/netpol-hygiene-reconciler';

/** One Lease in memory; `failing` makes every call answer 500 (an API server outage). */
function leaseStore(): { lease: LeaseObject | undefined; failing: boolean; script: (method: string, url: string, body: string) => Reply } {
  let version = 0;
  const store = {
    lease: undefined as LeaseObject | undefined,
    failing: false,
    script(method: string, url: string, body: string): Reply {
      if (store.failing) return status(500, 'InternalError', 'etcd is down');
      if (method === 'GET' && url === leasePath) return store.lease === undefined ? status(404, 'NotFound', 'not found') : { status: 200, body: store.lease };
      const sent = JSON.parse(body || '{}') as LeaseObject;
      if (method === 'POST') {
        if (store.lease !== undefined) return status(409, 'AlreadyExists', 'already exists');
        store.lease = { ...sent, metadata: { ...sent.metadata, resourceVersion: String(++version) } };
        return { status: 201, body: store.lease };
      }
      if (method === 'PUT' && url === leasePath) {
        if (sent.metadata.resourceVersion !== store.lease?.metadata.resourceVersion) return status(409, 'Conflict', 'the object has been modified');
        store.lease = { ...sent, metadata: { ...sent.metadata, resourceVersion: String(++version) } };
        return { status: 200, body: store.lease };
      }
      return status(405, 'MethodNotAllowed', `${method} ${url}`);
    },
  };
  return store;
}

async function elector(t: Test, server: ScriptedServer, identity: string, leaseDurationSeconds = 1.5): Promise<{ elector: LeaderElector; events: string[] }> {
  const events: string[] = [];
  const candidate = new LeaderElector(
    server.api(),
    {
      namespace: 'netpol-hygiene',
      leaseName: 'netpol-hygiene-reconciler',
      identity,
      leaseDurationSeconds,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
    },
    pino({ level: 'silent' }),
  );
  t.teardown(() => candidate.stop());
  return { elector: candidate, events };
}

const until = async (what: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

t.test('a free lease is created and held, and renewed every third of its duration', async (t) => {
  const store = leaseStore();
  const server = await startScriptedServer(t, (r) => store.script(r.method, r.url, r.body));
  const { elector: candidate, events } = await elector(t, server, 'replica-a');
  candidate.start();
  await until(() => events.length === 1);
  t.same(events, ['started']);
  t.equal(store.lease?.spec.holderIdentity, 'replica-a');
  t.equal(store.lease?.spec.leaseTransitions, 0);
  t.match(store.lease?.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime: six fractional digits');
  const firstRenew = store.lease?.spec.renewTime;
  await until(() => store.lease?.spec.renewTime !== firstRenew);
  t.ok(server.requests.some((r) => r.method === 'PUT'), 'renewed with a PUT');
  t.same(events, ['started'], 'still leading');
});

t.test('a lease another replica keeps renewing is left alone; one it stopped renewing is taken over', async (t) => {
  const store = leaseStore();
  store.lease = {
    metadata: { name: 'netpol-hygiene-reconciler', namespace: 'netpol-hygiene', resourceVersion: '100' },
    spec: { holderIdentity: 'replica-b', leaseDurationSeconds: 1, renewTime: '2026-01-01T00:00:00.000000Z', leaseTransitions: 3 },
  };
  const server = await startScriptedServer(t, (r) => store.script(r.method, r.url, r.body));
  const { elector: candidate, events } = await elector(t, server, 'replica-a', 1.5);
  // replica-b renews for a while, then dies.
  let renewals = 0;
  const keepAlive = setInterval(() => {
    if (store.lease === undefined || renewals++ > 4) return;
    store.lease = { ...store.lease, spec: { ...store.lease.spec, renewTime: new Date().toISOString().replace('Z', '000Z') } };
  }, 300);
  t.teardown(() => clearInterval(keepAlive));
  candidate.start();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.same(events, [], 'not while replica-b renews');
  t.equal(store.lease?.spec.holderIdentity, 'replica-b');
  await until(() => events.length === 1, 8_000);
  t.equal(store.lease?.spec.holderIdentity, 'replica-a');
  t.equal(store.lease?.spec.leaseTransitions, 4, 'a transition is counted');
});

t.test('a leader that cannot renew steps down before its lease could expire', async (t) => {
  const store = leaseStore();
  const server = await startScriptedServer(t, (r) => store.script(r.method, r.url, r.body));
  const { elector: candidate, events } = await elector(t, server, 'replica-a', 1.5);
  candidate.start();
  await until(() => events.length === 1);
  store.failing = true;
  const outage = Date.now();
  await until(() => events.length === 2);
  t.same(events, ['started', 'stopped']);
  // Generous on a busy machine: the point is that it steps down on its own, without a successful call.
  t.ok(Date.now() - outage < 3_000, 'promptly');
});

t.test('stop releases the lease so another replica need not wait for it to expire', async (t) => {
  const store = leaseStore();
  const server = await startScriptedServer(t, (r) => store.script(r.method, r.url, r.body));
  const { elector: candidate, events } = await elector(t, server, 'replica-a', 15);
  candidate.start();
  await until(() => events.length === 1);
  await candidate.stop();
  t.same(events, ['started', 'stopped']);
  t.equal(store.lease?.spec.holderIdentity, '');
  t.equal(store.lease?.spec.leaseDurationSeconds, 1);
});

t.test('of two candidates racing for a free lease, exactly one leads', async (t) => {
  const store = leaseStore();
  const server = await startScriptedServer(t, (r) => store.script(r.method, r.url, r.body));
  const a = await elector(t, server, 'replica-a', 3);
  const b = await elector(t, server, 'replica-b', 3);
  a.elector.start();
  b.elector.start();
  await until(() => a.events.length + b.events.length >= 1);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.same([a.events.length, b.events.length].sort(), [0, 1]);
  t.equal(store.lease?.spec.holderIdentity, a.events.length === 1 ? 'replica-a' : 'replica-b');
});
