// The raw API client against a scripted HTTPS server: what goes on the wire, how errors read,
// and how watches stream, end and fail.
import t from 'tap';
import { KubeApi, KubeApiError, type WatchEventType } from '../../src/cluster/kube-api.ts';
import { startScriptedServer, status } from './scripted-api-server.ts';

t.test('a request carries the token, the query and the body as JSON, and returns the parsed answer', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: { kind: 'NetworkPolicy', metadata: { name: 'default-deny' } } }));
  const api = server.api({ token: 'sa-token' });
  const answer = await api.request('PATCH', '/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/default-deny', {
    body: { spec: { podSelector: {} } },
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'netpol-hygiene', force: 'true', dryRun: undefined },
  });
  t.same(answer, { kind: 'NetworkPolicy', metadata: { name: 'default-deny' } });
  const [sent] = server.requests;
  t.equal(sent?.method, 'PATCH');
  t.equal(sent?.url, '/apis/networking.k8s.io/v1/namespaces/a/networkpolicies/default-deny?fieldManager=netpol-hygiene&force=true', 'undefined query values are left out');
  t.equal(sent?.headers.authorization, 'Bearer sa-token');
  t.equal(sent?.headers['content-type'], 'application/apply-patch+yaml');
  t.equal(sent?.headers.accept, 'application/json');
  t.equal(sent?.body, '{"spec":{"podSelector":{}}}');
  t.equal(sent?.clientCertificate, undefined, 'no client certificate without one in the connection');
});

t.test('a client certificate from the connection is presented', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  await server.api({ clientCertificate: true }).request('GET', '/api/v1/namespaces');
  t.equal(server.requests[0]?.clientCertificate, 'netpol-hygiene-test');
  t.equal(server.requests[0]?.headers.authorization, undefined, 'and no bearer token');
});

t.test('an empty 2xx answer is undefined', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 204 }));
  t.equal(await server.api().request('DELETE', '/api/v1/namespaces/default/events/x'), undefined);
});

t.test('errors carry the Status code, reason and message, or the raw text', async (t) => {
  const server = await startScriptedServer(t, (request) =>
    request.url.includes('conflict') ? status(409, 'Conflict', 'the object has been modified') : { status: 502, body: 'bad gateway from a proxy' },
  );
  const api = server.api();
  const conflict = await api.request('PUT', '/conflict').catch((error: unknown) => error);
  t.ok(conflict instanceof KubeApiError);
  t.match(conflict, { statusCode: 409, reason: 'Conflict', message: 'PUT /conflict: 409 Conflict: the object has been modified' });
  const proxy = await api.request('GET', '/other').catch((error: unknown) => error);
  t.match(proxy, { statusCode: 502, reason: 'Unknown', message: 'GET /other: 502 Unknown: "bad gateway from a proxy"' });
});

t.test('a server certificate from another CA is refused', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  const stranger = new KubeApi({ server: server.url, source: 'test' });
  t.teardown(() => stranger.close());
  await t.rejects(stranger.request('GET', '/version'), /self-signed certificate|unable to (get|verify)/);
  t.equal(server.requests.length, 0);
});

interface WatchResult {
  readonly events: [WatchEventType, Record<string, unknown>][];
  readonly error: Error | null;
  readonly opened: boolean;
}

function watchUntilDone(api: KubeApi, path: string, query: Record<string, string>): Promise<WatchResult> {
  return new Promise((resolve) => {
    const events: WatchResult['events'] = [];
    let opened = false;
    api.watch(path, query, {
      onEvent: (type, object) => events.push([type, object]),
      done: (error) => resolve({ events, error, opened }),
      opened: () => (opened = true),
    });
  });
}

t.test('a watch streams one event per line, skips blank lines, and ends with null', async (t) => {
  const server = await startScriptedServer(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n\n');
    response.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"42"}}}\n');
    response.end('{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n');
    return undefined;
  });
  const result = await watchUntilDone(server.api(), '/api/v1/namespaces', { resourceVersion: '7', allowWatchBookmarks: 'true' });
  t.same(result, {
    events: [
      ['ADDED', { metadata: { name: 'a' } }],
      ['BOOKMARK', { metadata: { resourceVersion: '42' } }],
      ['DELETED', { metadata: { name: 'a' } }],
    ],
    error: null,
    opened: true,
  });
  t.equal(server.requests[0]?.url, '/api/v1/namespaces?resourceVersion=7&allowWatchBookmarks=true&watch=true');
});

t.test('a refused watch ends with the Status error and never opens', async (t) => {
  const server = await startScriptedServer(t, () => status(410, 'Expired', 'too old resource version: 7 (42)'));
  const result = await watchUntilDone(server.api(), '/api/v1/namespaces', { resourceVersion: '7' });
  t.equal(result.opened, false);
  t.match(result.error, { statusCode: 410, reason: 'Expired' });
});

t.test('a malformed watch line ends the watch with an error', async (t) => {
  const server = await startScriptedServer(t, (_request, response) => {
    response.writeHead(200);
    response.write('{"type":"ADDED","object":{}}\n{not json\n');
    return undefined;
  });
  const result = await watchUntilDone(server.api(), '/api/v1/namespaces', {});
  t.equal(result.events.length, 1);
  t.match(result.error?.message, /^malformed watch event: /);
});

t.test('stopping a watch ends it without calling done', async (t) => {
  let serverSawClose = (): void => {};
  const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
  const server = await startScriptedServer(t, (_request, response) => {
    response.writeHead(200);
    response.write('{"type":"ADDED","object":{}}\n');
    response.on('close', () => serverSawClose());
    return undefined;
  });
  let doneCalls = 0;
  const stop = await new Promise<() => void>((resolve) => {
    const stopWatch = server.api().watch('/api/v1/namespaces', {}, { onEvent: () => resolve(stopWatch), done: () => doneCalls++ });
  });
  stop();
  // The server sees the connection go only after the client destroyed it, and so after any error that raised.
  await closed;
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(doneCalls, 0);
});

t.test('a connection reset in the middle of a watch ends it with an error, not an uncaught exception', async (t) => {
  const server = await startScriptedServer(t, (_request, response) => {
    response.writeHead(200);
    response.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
    setTimeout(() => response.socket?.destroy(), 50);
    return undefined;
  });
  const result = await watchUntilDone(server.api(), '/api/v1/namespaces', {});
  t.equal(result.events.length, 1);
  t.match(result.error, { code: 'ECONNRESET' });
});

t.test('a watch the API server never answers is a failure; one it accepted and then left silent is resumed', async (t) => {
  // The API server stopped (SIGSTOP) or partitioned away: the connection stays open and nothing comes.
  let accept = false;
  const server = await startScriptedServer(t, (_request, response) => {
    if (accept) response.writeHead(200).flushHeaders();
    return undefined;
  });
  const api = new KubeApi({ server: server.url, ca: server.caPem, source: 'scripted test server' }, { requestMs: 300, watchIdleMs: 600 });
  t.teardown(() => api.close());
  const unanswered = await watchUntilDone(api, '/api/v1/namespaces', {});
  t.same({ opened: unanswered.opened, error: unanswered.error?.message }, { opened: false, error: `GET /api/v1/namespaces: no answer from ${new URL(server.url).host} within 0.3s` });
  accept = true;
  const idle = await watchUntilDone(api, '/api/v1/namespaces', {});
  t.same({ opened: idle.opened, error: idle.error }, { opened: true, error: null }, 'accepted, then idle: ended normally, to be resumed');
});
