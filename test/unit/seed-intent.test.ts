/**
 * The demo's check of the seed's intent (demo/seed-intent.ts) over worlds built from the
 * baseline netpol-hygiene renders: it passes on the seed as rendered, and names each
 * connection that differs when a policy is missing, weakened or added.
 */
import t from 'tap';
import { checkSeedIntent } from '../../demo/seed-intent.ts';
import { loadConfig } from '../../src/config/load.ts';
import { profileNamed } from '../../src/config/profiles.ts';
import type { Profile } from '../../src/config/types.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import type { PodInfo } from '../../src/reachability/model.ts';
import { buildWorld } from '../../src/reachability/world.ts';

const config = loadConfig();
const profile = (name: string): Profile => profileNamed(config, name) as Profile;
const ports = { ui: 8080, business: 8081, db: 8082 } as const;
const dns: PodInfo = { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, ips: [], ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53, protocol: 'TCP' }] };
const pods: PodInfo[] = ['products-prod', 'products-stage'].flatMap((namespace) =>
  Object.entries(ports).map(([app, port]) => ({ namespace, name: `${app}-7f9c8d6b5-x7k2p`, labels: { app, tier: app }, ips: [], ports: [{ containerPort: port, protocol: 'TCP' as const }] })),
);
const seedPolicies = (prodProfile = 'seed-prod'): NetworkPolicy[] => [...renderBaseline('products-prod', profile(prodProfile), config), ...renderBaseline('products-stage', profile('seed'), config)];

function check(policies: readonly NetworkPolicy[]): ReturnType<typeof checkSeedIntent> {
  const world = buildWorld({ namespaces: [{ name: 'products-prod', labels: {} }, { name: 'products-stage', labels: {} }, { name: 'kube-system', labels: {} }], pods: [...pods, dns], policies });
  return checkSeedIntent(world, world.podsByKey.get('kube-system/coredns') as PodInfo);
}

t.test('the seed as netpol-hygiene renders it matches the intent', async (t) => {
  const report = check(seedPolicies());
  t.same(report.failures, []);
  t.same(report.lines.filter((line) => /^(ok|FAIL)/.test(line)), [
    "ok   TCP/8080 matches the seed's intent",
    "ok   TCP/8081 matches the seed's intent",
    "ok   TCP/8082 matches the seed's intent",
    'ok   every workload reaches DNS (kube-system/coredns) on UDP/53 and TCP/53',
    "ok   the DB tier's egress stays inside the cluster: 203.0.113.10:443 denied, other namespaces' pods allowed",
    'ok   from 203.0.113.10 (outside the cluster) only the UI tier is reachable',
  ]);
});

t.test('prod on the plain seed profile: its DB no longer takes products-stage business', async (t) => {
  const report = check(seedPolicies('seed'));
  t.same(report.failures, ['products-stage/business → products-prod/db on TCP/8082 is denied, the seed says allowed']);
  t.ok(report.lines.includes("FAIL TCP/8082 matches the seed's intent"));
});

t.test('an extra allow-all ingress policy opens every tier of products-stage', async (t) => {
  const allowAll: NetworkPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace: 'products-stage' }, spec: { podSelector: {}, ingress: [{}] } };
  const report = check([...seedPolicies(), allowAll]);
  // Each stage workload now takes all 7 sources on the two ports not its own (14 each), business
  // and DB 6 more on their own port, and the outside address reaches business and DB.
  t.equal(report.failures.length, 3 * 14 + 6 + 6 + 2);
  t.ok(report.failures.includes('products-prod/db → products-stage/db on TCP/8082 is allowed, the seed says denied'));
  t.ok(report.failures.includes('203.0.113.10 → products-stage/business on TCP/8081 is allowed'));
});

t.test('without allow-dns and cluster egress, DNS and the DB\'s cluster egress fail; an egress to anywhere lets the DB out', async (t) => {
  const closed = seedPolicies().filter((p) => !(p.metadata?.namespace === 'products-stage' && ['allow-dns', 'allow-cluster-egress'].includes(p.metadata?.name ?? '')));
  const report = check(closed);
  t.same(report.failures.filter((f) => f.includes('coredns')), [
    'products-stage/ui cannot reach kube-system/coredns on UDP/53',
    'products-stage/ui cannot reach kube-system/coredns on TCP/53',
    'products-stage/business cannot reach kube-system/coredns on UDP/53',
    'products-stage/business cannot reach kube-system/coredns on TCP/53',
    'products-stage/db cannot reach kube-system/coredns on UDP/53',
    'products-stage/db cannot reach kube-system/coredns on TCP/53',
    'products-stage/db cannot reach a pod in another namespace (kube-system/coredns:9153)',
  ]);
  const out: NetworkPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'db-out', namespace: 'products-prod' }, spec: { podSelector: { matchLabels: { tier: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } };
  t.same(check([...seedPolicies(), out]).failures, ['products-prod/db reaches 203.0.113.10:443 outside the cluster']);
});
