// The baseline applier against a scripted API server: the real ClusterCache lists and watches
// it, and every apply, restore, delete and Event is checked on the wire.
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { BaselineApplier } from '../../src/cluster/baseline-applier.ts';
import { ClusterCache } from '../../src/cluster/cluster-cache.ts';
import { RateLimiter } from '../../src/cluster/rate-limiter.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { defaultConfig, recordingAudit } from './helpers.ts';
import { type RecordedRequest, type Reply, startScriptedServer, status } from './scripted-api-server.ts';

const policiesPath = '/apis/networking.k8s.io/v1/namespaces/team-a/networkpolicies/';
const seedBaseline = renderBaseline('team-a', defaultConfig.profiles.seed!, defaultConfig);
const names = seedBaseline.map((p) => p.metadata?.name);

interface Cluster {
  readonly policies: NetworkPolicy[];
  /** Answers for writes, by method and policy name; default 200 with the sent object. */
  readonly writes?: (request: RecordedRequest) => Reply | undefined;
  readonly limiter?: RateLimiter;
}

async function applierOver(t: Test, cluster: Cluster): Promise<{ applier: BaselineApplier; writes: () => RecordedRequest[]; audit: ReturnType<typeof recordingAudit> }> {
  const server = await startScriptedServer(t, (request, response) => {
    if (request.method === 'GET' && request.url.includes('watch=true')) {
      response.writeHead(200);
      return undefined;
    }
    if (request.method === 'GET' && request.url.startsWith('/api/v1/namespaces?')) {
      const namespace = { metadata: { name: 'team-a', uid: 'uid-team-a', labels: { 'netpol-hygiene.io/profile': 'seed' } } };
      return { status: 200, body: { kind: 'NamespaceList', metadata: { resourceVersion: '10' }, items: [namespace] } };
    }
    if (request.method === 'GET' && request.url.startsWith('/apis/networking.k8s.io/v1/networkpolicies?')) {
      return { status: 200, body: { kind: 'NetworkPolicyList', metadata: { resourceVersion: '10' }, items: cluster.policies } };
    }
    const scripted = cluster.writes?.(request);
    if (scripted !== undefined) return scripted;
    if (request.method === 'PATCH') {
      const name = request.url.slice(policiesPath.length).split('?')[0];
      return { status: 200, body: seedBaseline.find((p) => p.metadata?.name === name) };
    }
    return { status: 201, body: {} };
  });
  const log = pino({ level: 'silent' });
  const api = server.api();
  const cache = new ClusterCache(api, log);
  cache.start();
  t.teardown(() => cache.stop());
  const deadline = Date.now() + 60_000;
  while (cache.notReadyReason() !== undefined) {
    if (Date.now() > deadline) throw new Error(`cache did not sync: ${cache.notReadyReason()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const audit = recordingAudit();
  const applier = new BaselineApplier({ api, config: defaultConfig, cluster: cache, log, audit, limiter: cluster.limiter });
  return { applier, audit, writes: () => server.requests.filter((r) => r.method !== 'GET') };
}

/** Polls, for a busy machine's worth of time, until `check` holds: Events are sent without being awaited. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const managed = (name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
  metadata: { name, namespace: 'team-a', labels: { 'app.kubernetes.io/managed-by': 'netpol-hygiene' } },
  spec,
});

t.test('a namespace without policies gets its whole baseline by server-side apply, one repair record and one Event', async (t) => {
  const { applier, writes, audit } = await applierOver(t, { policies: [] });
  const result = await applier.converge('team-a', { dryRun: false, trigger: 'namespace created' });
  t.same(result.changed, names);
  const patches = writes().filter((r) => r.method === 'PATCH');
  t.same(
    patches.map((r) => r.url).sort(),
    names.map((name) => `${policiesPath}${name}?fieldManager=netpol-hygiene&force=true`).sort(),
  );
  t.ok(patches.every((r) => r.headers['content-type'] === 'application/apply-patch+yaml'));
  t.same(JSON.parse(patches.find((r) => r.url.includes('/default-deny?'))?.body ?? '{}'), seedBaseline[0], 'exactly the rendered policy');
  t.same(audit.records, [
    {
      event: 'repair',
      namespace: 'team-a',
      action: 'apply-baseline',
      policies: names,
      trigger: 'namespace created',
      message: `applied baseline policies ${names.join(', ')} to namespace "team-a" (namespace created)`,
    },
  ]);
  await eventually('the Event is posted', () => writes().some((r) => r.method === 'POST'));
  const [event] = writes().filter((r) => r.method === 'POST');
  t.equal(event?.url, '/api/v1/namespaces/default/events');
  t.match(JSON.parse(event?.body ?? '{}'), { reason: 'BaselineApplied', involvedObject: { kind: 'Namespace', name: 'team-a', uid: 'uid-team-a' }, source: { component: 'netpol-hygiene' } });
});

t.test('an edited policy gets its whole spec back, a dropped one is deleted, a foreign one is left alone', async (t) => {
  const [defaultDeny, ...rest] = seedBaseline as [NetworkPolicy, ...NetworkPolicy[]];
  const edited = managed('allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] });
  const foreign: NetworkPolicy = { metadata: { name: 'allow-ingress-to-ui', namespace: 'team-a' }, spec: { podSelector: {}, ingress: [{}] } };
  const dropped = managed('allow-legacy', { podSelector: {} });
  const untouched = rest.filter((p) => !['allow-dns', 'allow-ingress-to-ui'].includes(p.metadata?.name ?? ''));
  const { applier, writes } = await applierOver(t, { policies: [defaultDeny, edited, foreign, dropped, ...untouched] });
  const result = await applier.converge('team-a', { dryRun: false, trigger: 'resync' });
  t.same(result.changed, ['allow-dns', 'allow-legacy']);
  const [restore, removal] = [writes().find((r) => r.method === 'PATCH'), writes().find((r) => r.method === 'DELETE')];
  t.equal(restore?.url, `${policiesPath}allow-dns?fieldManager=netpol-hygiene`);
  t.equal(restore?.headers['content-type'], 'application/json-patch+json');
  t.same(JSON.parse(restore?.body ?? '[]'), [{ op: 'replace', path: '/spec', value: seedBaseline.find((p) => p.metadata?.name === 'allow-dns')?.spec }]);
  t.equal(removal?.url, `${policiesPath}allow-legacy`);
  t.notOk(writes().some((r) => r.url.includes('allow-ingress-to-ui')), 'the foreign same-named policy is not touched');
});

t.test('a dry run sends dryRun=All and records nothing', async (t) => {
  const { applier, writes, audit } = await applierOver(t, { policies: [] });
  const result = await applier.converge('team-a', { dryRun: true, trigger: 'pod admission' });
  t.same(result.changed, names);
  t.same(
    writes().map((r) => `${r.method} ${r.url}`).sort(),
    names.map((name) => `PATCH ${policiesPath}${name}?fieldManager=netpol-hygiene&force=true&dryRun=All`).sort(),
    'exactly the six server-side applies, each with dryRun=All',
  );
  t.equal(audit.records.length, 0);
  // An Event, had one been sent, would have been sent before the real convergence's: wait for that one.
  const dryRunWrites = writes().length;
  await applier.converge('team-a', { dryRun: false, trigger: 'pod admission' });
  await eventually('the real convergence posts its Event', () => writes().some((r) => r.method === 'POST'));
  t.same(
    writes().slice(dryRunWrites).filter((r) => r.method === 'POST').map((r) => (JSON.parse(r.body) as { message: string }).message),
    [`applied baseline policies ${names.join(', ')} to namespace "team-a" (pod admission)`],
    'one Event, the real convergence’s: none for the dry run',
  );
});

t.test('transient errors are retried, a refusal is not', async (t) => {
  let attempts = 0;
  const { applier, writes } = await applierOver(t, {
    policies: seedBaseline.filter((p) => p.metadata?.name !== 'default-deny'),
    writes: (request) => (request.method === 'PATCH' && attempts++ < 2 ? status(503, 'ServiceUnavailable', 'etcd leader changed') : undefined),
  });
  const result = await applier.converge('team-a', { dryRun: false, trigger: 'resync' });
  t.same(result.changed, ['default-deny']);
  t.equal(writes().filter((r) => r.method === 'PATCH').length, 3, 'two 503s, then success');

  const forbidden = await applierOver(t, { policies: [], writes: (request) => (request.method === 'PATCH' ? status(403, 'Forbidden', 'cannot patch') : undefined) });
  const refusal = await forbidden.applier.converge('team-a', { dryRun: false, trigger: 'resync' }).catch((error: unknown) => error);
  t.match(refusal, { statusCode: 403, reason: 'Forbidden' });
  t.equal(forbidden.writes().filter((r) => r.method === 'PATCH' && r.url.includes('/default-deny?')).length, 1, 'no retry on 403');
});

t.test('concurrent convergences of one namespace share one set of calls and one record', async (t) => {
  const { applier, writes, audit } = await applierOver(t, { policies: [] });
  const [first, second] = await Promise.all([
    applier.converge('team-a', { dryRun: false, trigger: 'pod admission a' }),
    applier.converge('team-a', { dryRun: false, trigger: 'pod admission b' }),
  ]);
  t.equal(first, second);
  t.equal(writes().filter((r) => r.method === 'PATCH').length, names.length);
  t.equal(audit.records.length, 1);
});

t.test("the reconciler's writes are paced by the rate limit; a pod's urgent self-heal is not", async (t) => {
  const { applier, writes } = await applierOver(t, { policies: [], limiter: new RateLimiter({ qps: 20, burst: 1 }) });
  const started = performance.now();
  const order: string[] = [];
  const paced = applier.converge('team-a', { dryRun: false, trigger: 'resync' }).then(() => order.push(`paced after ${Math.round(performance.now() - started)} ms`));
  const urgent = applier.converge('team-a', { dryRun: false, trigger: 'pod admission x', urgent: true }).then(() => order.push('urgent'));
  await Promise.all([paced, urgent]);
  t.equal(order[0], 'urgent', 'the urgent convergence finishes first, without waiting for tokens');
  // Six writes with a burst of one at 20/s: five tokens waited for, 250 ms; timers are never early.
  const pacedMs = Number(/after (\d+) ms/.exec(order[1] ?? '')?.[1]);
  t.ok(pacedMs >= 240, `the paced convergence waited for its tokens (${pacedMs} ms)`);
  t.equal(writes().filter((r) => r.method === 'PATCH').length, names.length * 2, 'each applied the six policies (the stale test cache shows none applied)');
});
