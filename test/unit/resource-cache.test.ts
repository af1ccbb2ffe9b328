import t from 'tap';
import { pino } from 'pino';
import { ClusterCache } from '../../src/cluster/cluster-cache.ts';
import { KubeApiError, type KubeApi, type WatchEventType, type WatchHandlers } from '../../src/cluster/kube-api.ts';
import { ResourceCache } from '../../src/cluster/resource-cache.ts';
import { ClusterStateUnavailableError } from '../../src/policy/decision.ts';
import { fakeClock } from './fake-clock.ts';

interface OpenWatch {
  readonly query: Readonly<Record<string, string>>;
  emit(type: WatchEventType, object: Record<string, unknown>): void;
  end(error: Error | null): void;
}

/** A scripted API server: lists answer from `items`, watches are held open for the test to drive. */
function scriptedApi() {
  const calls: string[] = [];
  const watches: OpenWatch[] = [];
  let items: Record<string, unknown>[] = [];
  let resourceVersion = 10;
  let failLists = 0;
  const api = {
    async request(_method: string, path: string, options: { query?: Record<string, string | undefined> } = {}) {
      calls.push(`list ${path}${options.query?.continue ? ` continue=${options.query.continue}` : ''}`);
      if (failLists > 0) {
        failLists -= 1;
        throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      }
      // Two pages, to exercise continue tokens.
      const page = options.query?.continue === undefined ? items.slice(0, 1) : items.slice(1);
      const more = options.query?.continue === undefined && items.length > 1;
      return { metadata: { resourceVersion: String(resourceVersion), continue: more ? 'page-2' : undefined }, items: page };
    },
    watch(path: string, query: Record<string, string>, { onEvent, done, opened }: WatchHandlers) {
      calls.push(`watch ${path} rv=${query.resourceVersion}`);
      watches.push({ query, emit: onEvent, end: done });
      opened?.();
      return () => {};
    },
  } as unknown as KubeApi;
  return {
    api,
    calls,
    watches,
    setItems(next: Record<string, unknown>[], rv: number) {
      items = next;
      resourceVersion = rv;
    },
    failNextLists(count: number) {
      failLists = count;
    },
  };
}

const ns = (name: string, rv: number, labels: Record<string, string> = {}) => ({ metadata: { name, resourceVersion: String(rv), labels }, status: { phase: 'Active' } });
// The scripted API answers without I/O: what a call starts is done once queued callbacks have run.
// Relists after failures are paced by a clock the test moves.
const time = fakeClock();
const settle = (): Promise<void> => time.settle();

function namespaceCache(api: KubeApi) {
  return new ResourceCache(
    api,
    { path: '/api/v1/namespaces', resource: 'namespaces', strip: (raw) => raw as { metadata?: { name?: string; resourceVersion?: string } }, maxBackoffMs: 2_000, clock: time.clock },
    pino({ level: 'silent' }),
  );
}

t.test('lists every page, then watches from the list resourceVersion; events update the cache', async (t) => {
  const server = scriptedApi();
  server.setItems([ns('a', 5), ns('b', 6)], 10);
  const cache = namespaceCache(server.api);
  const events: string[] = [];
  cache.onEvent((e) => events.push(e.type === 'relisted' ? 'relisted' : `${e.type} ${e.object.metadata?.name}`));
  cache.start();
  await settle();
  t.same(server.calls, ['list /api/v1/namespaces', 'list /api/v1/namespaces continue=page-2', 'watch /api/v1/namespaces rv=10']);
  t.equal(cache.health().synced, true);
  t.same(cache.all().map((o) => o.metadata?.name), ['a', 'b']);
  const watch = server.watches[0]!;
  t.equal(watch.query.allowWatchBookmarks, 'true');
  watch.emit('ADDED', ns('c', 11));
  watch.emit('MODIFIED', ns('a', 12, { team: 'x' }));
  watch.emit('DELETED', ns('b', 13));
  watch.emit('BOOKMARK', { metadata: { resourceVersion: '20' } });
  t.same(cache.all().map((o) => o.metadata?.name).sort(), ['a', 'c']);
  t.same(events, ['relisted', 'added c', 'modified a', 'deleted b']);
  watch.end(null);
  await settle();
  t.equal(server.calls.at(-1), 'watch /api/v1/namespaces rv=20', 'a watch the server ended resumes at once from the last bookmark, without a relist');
  cache.stop();
});

t.test('410 Gone (an ERROR event) and a failed watch relist; an unreachable API server backs off', async (t) => {
  const server = scriptedApi();
  server.setItems([ns('a', 5)], 10);
  const cache = namespaceCache(server.api);
  cache.start();
  await settle();
  server.setItems([ns('a', 5), ns('fresh', 30)], 31);
  server.watches[0]!.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 10 (25)' });
  await settle();
  t.equal(server.calls.at(-1), 'watch /api/v1/namespaces rv=10', 'not at once: the relist waits for its backoff');
  await time.advance(500);
  t.same(server.calls.slice(-2), ['list /api/v1/namespaces continue=page-2', 'watch /api/v1/namespaces rv=31'], 'relisted and watched from the new resourceVersion');
  t.same(cache.all().map((o) => o.metadata?.name), ['a', 'fresh']);

  server.failNextLists(2);
  const lost = time.now();
  server.watches.at(-1)!.end(new KubeApiError({ method: 'GET', path: '/api/v1/namespaces' }, { statusCode: 500, reason: 'InternalError', message: 'etcd leader changed' }));
  await settle();
  t.equal(cache.health().brokenSince, lost, 'marked broken, since the moment the watch failed');
  t.match(cache.health().lastError, /etcd leader changed/, 'the failure is kept for /readyz');
  const lists = (): number => server.calls.filter((c) => c === 'list /api/v1/namespaces').length;
  const listsBefore = lists();
  const relisted: number[] = [];
  await time.advanceUntil(() => {
    if (lists() > listsBefore + relisted.length) relisted.push(time.now() - lost);
    return cache.health().brokenSince === undefined;
  }, 10_000);
  t.same(relisted, [500, 500 + 1000, 500 + 1000 + 2000], 'relists back off: 0.5 s, then 1 s, then 2 s');
  t.equal(cache.health().lastError, undefined, 'healthy again once a relist succeeds and its watch opens');
  t.equal(server.calls.filter((c) => c.startsWith('watch')).length, 3);
  cache.stop();
});

t.test('ClusterCache answers only after both caches synced, and fails closed once stale', async (t) => {
  const server = scriptedApi();
  server.failNextLists(100);
  const cluster = new ClusterCache(server.api, pino({ level: 'silent' }), { staleAfterMs: 30_000, clock: time.clock });
  cluster.start();
  await settle();
  t.match(cluster.notReadyReason(), /^namespaces cache has not synced yet: connect ECONNREFUSED/);
  t.throws(() => cluster.namespace('a'), ClusterStateUnavailableError);
  cluster.stop();

  const healthy = scriptedApi();
  healthy.setItems([ns('a', 5)], 10);
  const synced = new ClusterCache(healthy.api, pino({ level: 'silent' }), { staleAfterMs: 30_000, clock: time.clock });
  synced.start();
  await settle();
  t.equal(synced.notReadyReason(), undefined);
  t.same(synced.namespace('a'), { name: 'a', labels: {}, terminating: false, metadata: { name: 'a', uid: undefined, resourceVersion: '5' } });
  // The API server goes away: the watch ends and every relist fails, for longer than staleAfterMs.
  healthy.failNextLists(1000);
  for (const watch of healthy.watches) watch.end(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
  await settle();
  await time.advance(30_000);
  t.equal(synced.notReadyReason(), undefined, 'still answering when lost for exactly staleAfterMs');
  t.same(synced.states().map((s) => s.staleSeconds), [30, 30]);
  await time.advance(1_000);
  t.equal(synced.notReadyReason(), 'namespaces cache lost the API server 31s ago: connect ECONNREFUSED 127.0.0.1:6443');
  t.throws(() => synced.networkPolicies('a'), ClusterStateUnavailableError, 'stale caches do not answer');
  synced.stop();
});
