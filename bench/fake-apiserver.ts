/**
 * The part of kube-apiserver the cluster side talks to, served from memory for bench/scale.ts:
 * paged namespace and NetworkPolicy lists, watches that report every policy applied, server-side
 * apply and JSON-patch of policies, Events and a Lease. It counts the writes per second, so the
 * bench can show what load the reconciler puts on a real API server.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeApiServer {
  readonly url: string;
  /** Policy writes (PATCH, DELETE) per whole second since start. */
  readonly writesPerSecond: Map<number, number>;
  readonly counts: { policyWrites: number; events: number; lists: number };
  /** Resolves when the total of policy writes reaches `n`. */
  writesReached(n: number): Promise<void>;
  close(): Promise<void>;
}

interface Stored {
  metadata: { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string> };
  spec?: unknown;
}

export async function startFakeApiServer({ namespaces, cert, key }: { namespaces: number; cert: string; key: string }): Promise<FakeApiServer> {
  const names = Array.from({ length: namespaces }, (_, i) => `team-${String(i).padStart(5, '0')}`);
  const policies = new Map<string, Stored>();
  const policyWatches = new Set<ServerResponse>();
  const writesPerSecond = new Map<number, number>();
  const counts = { policyWrites: 0, events: 0, lists: 0 };
  const waiters: { n: number; resolve: () => void }[] = [];
  const started = performance.now();
  let version = 1000;

  const recordWrite = (): void => {
    counts.policyWrites++;
    const second = Math.floor((performance.now() - started) / 1000);
    writesPerSecond.set(second, (writesPerSecond.get(second) ?? 0) + 1);
    for (const waiter of waiters.filter((w) => counts.policyWrites >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  const send = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const page = (items: unknown[], url: URL): { metadata: Record<string, string>; items: unknown[] } => {
    const limit = Number(url.searchParams.get('limit') ?? items.length) || items.length;
    const from = Number(url.searchParams.get('continue') ?? 0);
    const next = from + limit < items.length ? String(from + limit) : undefined;
    return { metadata: { resourceVersion: String(version), ...(next === undefined ? {} : { continue: next }) }, items: items.slice(from, from + limit) };
  };

  const applyPolicy = (namespace: string, name: string, body: string, contentType: string): Stored => {
    const existing = policies.get(`${namespace}/${name}`);
    const sent = JSON.parse(body) as Stored | { op: string; value: unknown }[];
    const spec = Array.isArray(sent) ? sent[0]?.value : sent.spec;
    const labels = Array.isArray(sent) ? existing?.metadata.labels : sent.metadata.labels;
    const stored: Stored = { metadata: { name, namespace, labels, resourceVersion: String(++version) }, spec };
    policies.set(`${namespace}/${name}`, stored);
    const line = `${JSON.stringify({ type: existing === undefined ? 'ADDED' : 'MODIFIED', object: stored })}\n`;
    for (const watch of policyWatches) watch.write(line);
    void contentType;
    return stored;
  };

  const handle = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    const url = new URL(request.url ?? '/', 'https://fake');
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && url.searchParams.get('watch') === 'true') {
      response.writeHead(200, { 'content-type': 'application/json' });
      if (path.endsWith('/networkpolicies')) {
        policyWatches.add(response);
        response.on('close', () => policyWatches.delete(response));
      }
      return;
    }
    if (method === 'GET' && path === '/api/v1/namespaces') {
      counts.lists++;
      return send(response, 200, page(names.map((name) => ({ metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels: { 'kubernetes.io/metadata.name': name } } })), url));
    }
    if (method === 'GET' && path === '/apis/networking.k8s.io/v1/networkpolicies') {
      counts.lists++;
      return send(response, 200, page([...policies.values()], url));
    }
    const policy = /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies\/([^/]+)$/.exec(path);
    if (policy !== null && method === 'PATCH') {
      recordWrite();
      return send(response, 200, applyPolicy(decodeURIComponent(policy[1] as string), decodeURIComponent(policy[2] as string), body, request.headers['content-type'] ?? ''));
    }
    if (method === 'POST' && path.endsWith('/events')) {
      counts.events++;
      return send(response, 201, {});
    }
    if (path.includes('/leases')) return lease(method, response, body);
    return send(response, 404, { kind: 'Status', code: 404, reason: 'NotFound', message: `${method} ${path}` });
  };

  let leaseObject: (Stored & { spec: unknown }) | undefined;
  const lease = (method: string, response: ServerResponse, body: string): void => {
    if (method === 'GET') return leaseObject === undefined ? send(response, 404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'lease' }) : send(response, 200, leaseObject);
    leaseObject = { ...(JSON.parse(body) as Stored & { spec: unknown }) };
    leaseObject.metadata = { ...leaseObject.metadata, resourceVersion: String(++version) };
    return send(response, method === 'POST' ? 201 : 200, leaseObject);
  };

  const server: Server = createServer({ cert, key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => {});
    response.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    writesPerSecond,
    counts,
    writesReached: (n) => (counts.policyWrites >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    async close() {
      for (const watch of policyWatches) watch.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
