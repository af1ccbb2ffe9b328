/**
 * The real-node comparison (demo/seed-packets.ts) over the seed's baseline as rendered: which
 * connections get tried, and that a real packet disagreeing with the engine is a failure named
 * by its cell, in the truth table and in the DNS column.
 */
import t from 'tap';
import { compareSeedMatrix, probeKey, seedProbes } from '../../demo/seed-packets.ts';
import { loadConfig } from '../../src/config/load.ts';
import { profileNamed } from '../../src/config/profiles.ts';
import type { Profile } from '../../src/config/types.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import type { PodInfo } from '../../src/reachability/model.ts';
import { evaluate } from '../../src/reachability/verdict.ts';
import { buildWorld, type World } from '../../src/reachability/world.ts';

const config = loadConfig();
const profile = (name: string): Profile => profileNamed(config, name) as Profile;
const ports = { ui: 8080, business: 8081, db: 8082 } as const;
const dns: PodInfo = { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, ips: ['10.244.0.9'], ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53, protocol: 'TCP' }] };
let ip = 1;
const pods: PodInfo[] = ['products-prod', 'products-stage'].flatMap((namespace) =>
  Object.entries(ports).map(([app, port]) => ({ namespace, name: `${app}-7f9c8d6b5-x7k2p`, labels: { app, tier: app }, ips: [`10.244.0.${++ip}`], ports: [{ containerPort: port, protocol: 'TCP' as const }] })),
);
const world: World = buildWorld({
  namespaces: [{ name: 'products-prod', labels: {} }, { name: 'products-stage', labels: {} }, { name: 'kube-system', labels: {} }],
  pods: [...pods, dns],
  policies: [...renderBaseline('products-prod', profile('seed-prod'), config), ...renderBaseline('products-stage', profile('seed'), config)],
});
const dnsPod = world.podsByKey.get('kube-system/coredns') as PodInfo;
const probes = seedProbes(world, dnsPod);
/** Packets exactly as the engine predicts. */
const asEngine = new Map(probes.map((p) => [probeKey(p), evaluate(world, { pod: p.from.pod }, { pod: p.to.pod }, { port: p.port, protocol: p.protocol }).allowed]));

t.test('every pair but a pod to itself on each seed port, and every workload to DNS on UDP/53, TCP/53 and 9153', async (t) => {
  t.equal(probes.length, 7 * 6 * 3 - 6 * 3 + 6 * 3);
  t.notOk(probes.some((p) => p.from.pod === p.to.pod), 'a pod to itself goes over its loopback, where no policy applies');
  t.ok(probes.some((p) => p.to.name === 'kube-system/coredns' && p.protocol === 'UDP' && p.port === 53));
});

t.test('packets as the engine predicts: every section agrees, self cells shown as not probed', async (t) => {
  const comparison = compareSeedMatrix(world, dnsPod, asEngine);
  t.strictSame(comparison.failures, []);
  t.strictSame(comparison.lines.filter((l) => /^(ok|FAIL)/.test(l)), [
    'ok   TCP/8080: intent, engine and packets agree',
    'ok   TCP/8081: intent, engine and packets agree',
    'ok   TCP/8082: intent, engine and packets agree',
    'ok   DNS: engine, packets and the seed agree',
  ]);
  t.ok(comparison.lines.includes('products-prod/business   XX.XXX  XX.XXX  X-.XXX'), 'rows: intent, engine, packets side by side');
});

t.test('a packet that got through where the engine says denied, and a DNS query that did not, are failures by cell', async (t) => {
  const observed = new Map(asEngine);
  const stageUi = probes.find((p) => p.from.name === 'products-stage/ui' && p.to.name === 'products-prod/db' && p.port === 8082);
  const toDns = probes.find((p) => p.from.name === 'products-prod/db' && p.to.name === 'kube-system/coredns' && p.protocol === 'UDP');
  observed.set(probeKey(stageUi!), true);
  observed.set(probeKey(toDns!), false);
  const comparison = compareSeedMatrix(world, dnsPod, observed);
  t.strictSame(comparison.failures, [
    'products-stage/ui → products-prod/db on TCP/8082: real packets were allowed, the engine says denied',
    'products-prod/db → kube-system/coredns on UDP/53: real packets were denied, the engine says allowed',
  ]);
  t.ok(comparison.lines.includes('FAIL TCP/8082: intent, engine and packets agree except in 1 cells'));
  t.ok(comparison.lines.includes('FAIL DNS: engine and packets differ in 1 cells'));
});
