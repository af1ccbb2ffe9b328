// The figures bench:apiserver reports per pod create are counted, not estimated: kube-apiserver's
// counters between two scrapes, the connections a server was given, the lines a server wrote.
import { mkdtempSync, appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { logLines } from '../../bench/container-log.ts';
import { counterGrowth, parseCounters } from '../../bench/prometheus.ts';
import { countConnections, tcpPeersOfPort } from '../../bench/proc.ts';

t.test('requests per verb and resource between two scrapes of kube-apiserver /metrics', async (t) => {
  const scrape = (podPosts: number, leasePuts: number): string =>
    [
      '# TYPE apiserver_request_total counter',
      `apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} ${podPosts}`,
      `apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} ${leasePuts}`,
      'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="namespaces",scope="cluster",subresource="",verb="LIST",version="v1"} 7',
      'apiserver_request_duration_seconds_bucket{verb="POST",le="0.1"} 3',
    ].join('\n');
  const before = parseCounters(scrape(100, 4), ['apiserver_request_total']);
  const after = parseCounters(scrape(600, 5), ['apiserver_request_total']);
  const grown = counterGrowth(after, before, 'apiserver_request_total', (l) => `${l.verb} ${l.resource}`);
  t.strictSame([...grown], [['POST pods', 500], ['PUT leases', 1]], 'series that did not grow are left out');
});

t.test('the connections a server was given, from /proc/net/tcp', async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const counter = countConnections(port, 5);
  const clients = await Promise.all([1, 2, 3].map(() => new Promise<Socket>((resolve) => { const c = connect(port, '127.0.0.1', () => resolve(c)); })));
  t.teardown(() => {
    for (const client of clients) client.destroy();
  });
  const deadline = Date.now() + 10_000;
  while (tcpPeersOfPort(port).length < 3 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  t.equal(tcpPeersOfPort(port).length, 3, 'three established connections to the port');
  t.equal(counter.stop(), 3, 'three distinct peers seen');
});

t.test('a log file is read line by line as it grows, a partial last line kept for later', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-log-lines-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'stdout.log');
  writeFileSync(file, '{"audit":true,"n":1}\n{"audit":tr');
  const read = logLines(file);
  t.strictSame(read(), ['{"audit":true,"n":1}']);
  appendFileSync(file, 'ue,"n":2}\n\n');
  t.strictSame(read(), ['{"audit":true,"n":2}']);
  t.strictSame(read(), [], 'nothing new');
});
