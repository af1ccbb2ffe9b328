/**
 * Upstream's ClusterNetworkPolicy conformance tests (sigs.k8s.io/network-policy-api v0.3.1,
 * conformance/tests/*.go) replayed against the engine: the same manifests (vendored under
 * test/fixtures/network-policy-api-v0.3.1), the same pods (conformance/base/manifests.yaml:
 * two replicas per house, host-networked centaurs on the nodes), the same probes with the
 * same expected answers, and the same edits between them, in order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseAllDocuments } from 'yaml';
import type { ClusterNetworkPolicyWire } from '../../src/reachability/cluster-policy-wire.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { reachabilityMatrix } from '../../src/reachability/matrix.ts';
import type { ContainerPort, NodeInfo, PodInfo, Protocol } from '../../src/reachability/model.ts';
import { evaluate } from '../../src/reachability/verdict.ts';
import { buildWorld, type World } from '../../src/reachability/world.ts';

const fixtures = join(import.meta.dirname, '../fixtures/network-policy-api-v0.3.1/conformance');
const hostNetworkPorts = [34345, 34346, 34347, 34348, 34349, 34350, 34351, 34352];
const houses = { gryffindor: 'harry-potter', slytherin: 'draco-malfoy', hufflepuff: 'cedric-diggory', ravenclaw: 'luna-lovegood' } as const;

const ns = (house: string): string => `network-policy-conformance-${house}`;

/** The ports the conformance servers declare (only declared ones have names; the others serve unnamed). */
const declared: ContainerPort[] = [{ name: 'web', containerPort: 80, protocol: 'TCP' }, { name: 'dns', containerPort: 53, protocol: 'UDP' }];
const nodes: NodeInfo[] = [0, 1].map((i) => ({ name: `node-${i}`, labels: { 'kubernetes.io/os': 'linux' }, addresses: [`192.168.0.${i + 1}`] }));

function pods(labels: Partial<Record<string, Record<string, string>>> = {}): PodInfo[] {
  const regular = Object.entries(houses).flatMap(([house, base], h) => [0, 1].map((i): PodInfo => ({
    namespace: ns(house), name: `${base}-${i}`, labels: { 'conformance-house': house, 'statefulset.kubernetes.io/pod-name': `${base}-${i}`, ...labels[`${house}/${base}-${i}`] }, ips: [`10.1.${h + 1}.${i + 1}`], ports: declared,
  })));
  const centaurs = [0, 1].map((i): PodInfo => ({ namespace: ns('forbidden-forrest'), name: `centaur-${i}`, labels: { 'conformance-house': 'forbidden-forrest' }, ips: [`192.168.0.${i + 1}`], ports: [], hostNetwork: true }));
  return [...regular, ...centaurs];
}

/** A conformance manifest's objects, templates filled as the suite fills them. */
function manifest(path: string): { cnps: ClusterNetworkPolicyWire[]; nps: NetworkPolicy[] } {
  const text = readFileSync(join(fixtures, path), 'utf8').replace(/\{\{ index \.HostNetworkPorts (\d) \}\}/g, (_m, i: string) => String(hostNetworkPorts[Number(i)]));
  const objects = parseAllDocuments(text).map((doc) => doc.toJS() as { kind: string }).filter((o) => o !== null);
  return { cnps: objects.filter((o) => o.kind === 'ClusterNetworkPolicy') as ClusterNetworkPolicyWire[], nps: objects.filter((o) => o.kind === 'NetworkPolicy') as NetworkPolicy[] };
}

/** The cluster of one conformance test, edited between probes as the test edits the live one. */
class Cluster {
  cnps: ClusterNetworkPolicyWire[];
  nps: NetworkPolicy[];
  namespaceLabels: Record<string, Record<string, string>> = {};
  podLabels: Record<string, Record<string, string>> = {};

  constructor(...paths: string[]) {
    const loaded = paths.map(manifest);
    this.cnps = loaded.flatMap((m) => m.cnps);
    this.nps = loaded.flatMap((m) => m.nps);
  }

  world(): World {
    const names = [...Object.keys(houses), 'forbidden-forrest'];
    return buildWorld({
      namespaces: names.map((house) => ({ name: ns(house), labels: this.namespaceLabels[house] ?? { 'conformance-house': house } })),
      pods: pods(this.podLabels),
      policies: this.nps,
      clusterPolicies: this.cnps,
      nodes,
    });
  }

  /** Edits a policy's spec in place, as the tests' DeepCopy + Patch does. */
  edit(name: string, change: (spec: Spec) => void): void {
    const policy = this.cnps.find((p) => p.metadata?.name === name);
    if (policy === undefined) throw new Error(`no ClusterNetworkPolicy ${name}`);
    change(policy.spec as Spec);
  }
}

type Rule = Record<string, unknown>;
type Spec = { priority: number; ingress: Rule[]; egress: Rule[] };

function swap(rules: Rule[], a: number, b: number): void {
  [rules[a], rules[b]] = [rules[b] as Rule, rules[a] as Rule];
}

/** One PokeServer: `from` is house/pod, `to` the server pod whose IP is probed. */
function poke(t: Test, cluster: Cluster, from: string, protocol: string, to: string, port: number, expected: boolean): void {
  const world = cluster.world();
  const pod = (key: string): PodInfo => {
    const [house, name] = key.split('/') as [string, string];
    const found = world.podsByKey.get(`${ns(house)}/${name}`);
    if (found === undefined) throw new Error(`no pod ${key}`);
    return found;
  };
  const source = pod(from);
  const server = pod(to);
  // PokeServer dials the server pod's IP: a host-networked pod's IP is its node's, shared by no other pod here.
  const traffic = { port, protocol: protocol.toUpperCase() as Protocol };
  const verdict = evaluate(world, { pod: source }, { pod: server }, traffic);
  const matrix = reachabilityMatrix(world, traffic);
  const cell = matrix.outcome(world.pods.indexOf(source), world.pods.indexOf(server));
  const want = expected ? 'allowed' : 'denied';
  t.same([verdict.outcome, cell], [want, want], `${from} -> ${to} ${protocol}/${port}: ${want}`);
}

type Probe = readonly [from: string, protocol: string, to: string, port: number, expected: boolean];

function probes(t: Test, cluster: Cluster, list: readonly Probe[]): void {
  for (const [from, protocol, to, port, expected] of list) poke(t, cluster, from, protocol, to, port, expected);
}

const harry0 = 'gryffindor/harry-potter-0';
const harry1 = 'gryffindor/harry-potter-1';
const luna0 = 'ravenclaw/luna-lovegood-0';
const luna1 = 'ravenclaw/luna-lovegood-1';
const draco0 = 'slytherin/draco-malfoy-0';
const draco1 = 'slytherin/draco-malfoy-1';
const cedric0 = 'hufflepuff/cedric-diggory-0';
const cedric1 = 'hufflepuff/cedric-diggory-1';

/** CNPAdminTierGress and CNPBaselineTierGress: the same probes, the same edits. */
function gress(t: Test, file: string, name: string): void {
  const cluster = new Cluster(file);
  t.test("allow-gress across protocols", async (t) => probes(t, cluster, [
    [harry0, 'tcp', luna0, 80, true], [harry1, 'udp', luna0, 53, true], [harry0, 'sctp', luna0, 9003, true],
    [luna0, 'tcp', harry0, 80, true], [luna1, 'udp', harry0, 53, true], [luna1, 'sctp', harry0, 9003, true],
  ]));
  t.test("allow-gress at the specified ports", async (t) => probes(t, cluster, [
    [harry0, 'tcp', cedric1, 8080, true], [harry1, 'tcp', cedric1, 80, false], [harry0, 'udp', cedric1, 5353, true],
    [harry1, 'udp', cedric1, 53, false], [harry0, 'sctp', cedric1, 9003, true], [harry1, 'sctp', cedric1, 9005, false],
    [cedric0, 'tcp', harry1, 80, true], [cedric1, 'tcp', harry1, 8080, false], [cedric0, 'udp', harry1, 5353, true],
    [cedric1, 'udp', harry1, 53, false], [cedric0, 'sctp', harry1, 9003, true], [cedric1, 'sctp', harry1, 9005, false],
  ]));
  t.test("deny-gress across protocols (Deny moved before Accept)", async (t) => {
    cluster.edit(name, (spec) => {
      swap(spec.egress, 0, 1);
      swap(spec.ingress, 0, 1);
    });
    probes(t, cluster, [
      [harry0, 'tcp', luna1, 80, false], [harry1, 'udp', luna1, 53, false], [harry0, 'sctp', luna1, 9003, false],
      [luna0, 'tcp', harry1, 80, false], [luna1, 'udp', harry1, 53, false], [luna1, 'sctp', harry1, 9003, false],
    ]);
  });
  t.test("deny-gress at the specified ports", async (t) => probes(t, cluster, [
    [harry0, 'tcp', draco0, 80, false], [harry1, 'tcp', draco0, 8080, true], [harry0, 'udp', draco0, 53, false],
    [harry1, 'udp', draco0, 5353, true], [harry0, 'sctp', draco0, 9003, false], [harry1, 'sctp', draco0, 9005, true],
    [draco0, 'tcp', harry0, 80, false], [draco1, 'tcp', harry0, 8080, true], [draco0, 'udp', harry0, 53, false],
    [draco1, 'udp', harry0, 5353, true], [draco0, 'sctp', harry0, 9003, false], [draco1, 'sctp', harry0, 9005, true],
  ]));
  if (name !== 'gress-rules') return;
  t.test("pass-gress across protocols (Pass moved first)", async (t) => {
    cluster.edit(name, (spec) => {
      swap(spec.egress, 0, 2);
      swap(spec.ingress, 0, 2);
    });
    probes(t, cluster, [
      [harry0, 'tcp', luna0, 80, true], [harry0, 'udp', luna0, 5353, true], [harry0, 'sctp', luna0, 9003, true],
      [luna0, 'tcp', harry0, 80, true], [luna1, 'udp', harry0, 53, true], [luna1, 'sctp', harry0, 9003, true],
    ]);
  });
  t.test("pass-gress at the specified ports", async (t) => {
    cluster.edit(name, (spec) => {
      swap(spec.egress, 3, 4);
      swap(spec.ingress, 3, 4);
    });
    probes(t, cluster, [
      [harry0, 'tcp', draco0, 80, true], [harry1, 'tcp', draco0, 8080, true], [harry0, 'udp', draco0, 53, true],
      [harry1, 'udp', draco0, 5353, true], [harry0, 'sctp', draco0, 9003, true], [harry1, 'sctp', draco0, 9005, true],
      [draco0, 'tcp', harry0, 80, true], [draco1, 'tcp', harry0, 8080, true], [draco0, 'udp', harry0, 53, true],
      [draco1, 'udp', harry0, 5353, true], [draco0, 'sctp', harry0, 9003, true], [draco1, 'sctp', harry0, 9005, true],
    ]);
  });
}

t.test('CNPAdminTierGress', async (t) => gress(t, 'admin_tier/standard-gress-rules-combined.yaml', 'gress-rules'));
t.test('CNPBaselineTierGress', async (t) => gress(t, 'baseline_tier/standard-gress-rules-combined.yaml', 'default'));

t.test('CNPAdminTierPriorityField: the lower priority decides; raised above the Deny, Pass hands over to the Baseline Accept', async (t) => {
  const cluster = new Cluster('admin_tier/standard-priority-field.yaml');
  probes(t, cluster, [[draco0, 'tcp', harry0, 80, false], [draco1, 'tcp', harry0, 8080, false], [harry0, 'tcp', draco0, 80, false], [harry1, 'tcp', draco0, 8080, false]]);
  cluster.edit('old-priority-60-new-priority-40-example', (spec) => {
    spec.priority = 40;
  });
  probes(t, cluster, [[draco0, 'tcp', harry0, 80, true], [draco1, 'tcp', harry0, 8080, true], [harry0, 'tcp', draco0, 80, true], [harry1, 'tcp', draco0, 8080, true]]);
});

t.test('CNPAdminTierSamePriority: same-priority policies all apply, each to its own subject', async (t) => {
  const cluster = new Cluster('admin_tier/standard-same-priority.yaml');
  probes(t, cluster, [
    [draco0, 'tcp', harry0, 80, false], [harry0, 'tcp', draco0, 80, false], [cedric0, 'tcp', harry0, 80, false],
    [harry1, 'tcp', cedric0, 80, false], [draco1, 'tcp', cedric0, 8080, false], [cedric1, 'tcp', draco0, 8080, false],
    [draco0, 'tcp', harry0, 8080, true], [harry0, 'tcp', draco0, 8080, true], [draco1, 'tcp', cedric0, 80, true], [cedric0, 'tcp', draco0, 80, true],
    [luna0, 'tcp', harry0, 80, true], [harry1, 'tcp', luna0, 80, true],
  ]);
});

t.test('CNPBaselineTierSamePriority', async (t) => {
  const cluster = new Cluster('baseline_tier/standard-same-priority.yaml');
  probes(t, cluster, [
    [draco0, 'tcp', harry0, 80, false], [harry0, 'tcp', draco0, 80, false], [cedric0, 'tcp', harry0, 80, false],
    [harry1, 'tcp', cedric0, 80, false], [draco1, 'tcp', cedric0, 8080, false], [cedric1, 'tcp', draco0, 8080, false],
    [draco0, 'tcp', harry0, 8080, true], [harry0, 'tcp', draco0, 8080, true], [draco1, 'tcp', cedric0, 80, true], [cedric0, 'tcp', draco0, 80, true],
    [luna0, 'tcp', harry0, 80, true], [harry1, 'tcp', luna0, 80, true],
  ]);
});

t.test('CNPAdminTierIntegration: Admin Deny, then Pass to the NetworkPolicy, then (policy deleted) to the Baseline Deny', async (t) => {
  const cluster = new Cluster('api_integration/standard-anp-np-banp.yaml');
  probes(t, cluster, [[draco0, 'tcp', harry0, 80, false], [draco1, 'tcp', harry0, 8080, false], [harry0, 'tcp', draco0, 80, false], [harry1, 'tcp', draco0, 8080, false]]);
  cluster.edit('pass-example', (spec) => {
    (spec.ingress[0] as Rule).action = 'Pass';
  });
  probes(t, cluster, [[draco0, 'tcp', harry0, 80, true], [draco1, 'tcp', harry0, 8080, true]]);
  cluster.edit('pass-example', (spec) => {
    (spec.egress[0] as Rule).action = 'Pass';
  });
  probes(t, cluster, [[harry0, 'tcp', draco0, 80, true], [harry1, 'tcp', draco0, 8080, true]]);
  cluster.nps = cluster.nps.filter((np) => np.metadata?.name !== 'allow-gress-from-to-slytherin-to-gryffindor');
  probes(t, cluster, [[draco0, 'tcp', harry0, 80, false], [draco1, 'tcp', harry0, 8080, false], [harry0, 'tcp', draco0, 80, false], [harry1, 'tcp', draco0, 8080, false]]);
});

t.test('CNPAdminTierEgressInlineCIDRPeer: networks match pod IPs; namespace relabelled out of the Accept falls to the Deny', async (t) => {
  const cluster = new Cluster('admin_tier/standard-egress-inline-cidr-rules.yaml');
  const all = (to: string, expected: boolean): Probe[] => [[harry1, 'tcp', to, 80, expected], [harry1, 'udp', to, 53, expected], [harry1, 'sctp', to, 9003, expected]];
  probes(t, cluster, [...all(luna0, false), ...all(cedric0, false), ...all(draco0, true)]);
  cluster.namespaceLabels.slytherin = { 'conformance-house': 'denied-namespace-label' };
  probes(t, cluster, all(draco0, false));
  delete cluster.namespaceLabels.slytherin;
  probes(t, cluster, all(draco0, true));
  cluster.edit('inline-cidr-as-peers-example', (spec) => {
    spec.egress.unshift({ name: 'allow-egress-to-specific-podIPs', action: 'Accept', to: [{ networks: ['10.1.4.1/32', '10.1.3.1/32'] }] });
  });
  probes(t, cluster, [...all(luna0, true), ...all(cedric0, true), ...all(luna1, false), ...all(cedric1, false)]);
});

t.test('CNPAdminTierEgressNodePeers: host-networked servers are reached through their nodes', async (t) => {
  const cluster = new Cluster('admin_tier/experimental-egress-selector-rules.yaml');
  const centaur = 'forbidden-forrest/centaur-1';
  const [tcp0, tcp1, udp2, , udp4, , sctp6] = hostNetworkPorts as [number, number, number, number, number, number, number];
  probes(t, cluster, [[harry1, 'tcp', centaur, tcp0, true], [harry1, 'udp', centaur, udp2, true], [harry1, 'tcp', centaur, tcp1, false], [harry1, 'udp', centaur, udp4, false], [harry1, 'sctp', centaur, sctp6, false]]);
});

t.test('CNPAdminTierEgressNamedPort and IngressNamedPort: destinationNamedPort resolves on the destination pod', async (t) => {
  const egress = new Cluster('admin_tier/standard-egress-tcp-rules.yaml');
  egress.edit('egress-tcp', (spec) => {
    (spec.egress[5] as Rule).protocols = [{ destinationNamedPort: 'web' }];
  });
  probes(t, egress, [[harry0, 'tcp', cedric1, 80, true], [harry1, 'tcp', cedric1, 8080, false]]);
  const ingress = new Cluster('admin_tier/standard-ingress-udp-rules.yaml');
  ingress.edit('ingress-udp', (spec) => {
    (spec.ingress[5] as Rule).protocols = [{ destinationNamedPort: 'dns' }];
  });
  probes(t, ingress, [[harry0, 'udp', cedric1, 53, true], [harry1, 'udp', cedric1, 5353, false]]);
});

for (const tier of ['admin_tier', 'baseline_tier']) {
  t.test(`${tier} port ranges`, async (t) => {
    const cluster = new Cluster(`${tier}/standard-port-range-rules-combined.yaml`);
    probes(t, cluster, [
      [harry0, 'tcp', luna0, 80, true], [harry0, 'tcp', luna0, 8080, true], [harry1, 'udp', luna0, 53, false],
      [harry0, 'udp', cedric0, 53, true], [harry0, 'udp', cedric0, 5353, true], [harry1, 'tcp', cedric0, 80, false],
      [harry0, 'sctp', draco0, 9003, true], [harry0, 'sctp', draco0, 9005, true], [harry1, 'tcp', draco0, 80, false],
      [luna0, 'tcp', harry0, 80, true], [luna0, 'tcp', harry0, 8080, true], [luna1, 'udp', harry0, 53, false],
      [cedric0, 'udp', harry0, 53, true], [cedric0, 'udp', harry0, 5353, true], [cedric1, 'tcp', harry0, 80, false],
      [draco0, 'sctp', harry0, 9003, true], [draco0, 'sctp', harry0, 9005, true], [draco1, 'tcp', harry0, 80, false],
    ]);
  });

  t.test(`${tier} pod selectors in peers and subject, relabelled between probes`, async (t) => {
    const cluster = new Cluster(`${tier}/standard-pod-selector-rules.yaml`);
    const role = 'conformance-role';
    probes(t, cluster, [[harry0, 'tcp', luna0, 8080, false], [harry0, 'tcp', luna0, 80, true], [harry1, 'tcp', luna1, 80, false]]);
    probes(t, cluster, [[draco1, 'tcp', harry1, 80, false], [draco0, 'tcp', harry0, 80, true]]);
    cluster.podLabels = { [`hufflepuff/cedric-diggory-0`]: { [role]: 'blocked' } };
    probes(t, cluster, [[cedric0, 'tcp', harry0, 80, false], [cedric1, 'tcp', harry0, 80, true]]);
    cluster.podLabels = {};
    probes(t, cluster, [[cedric0, 'tcp', harry0, 80, true]]);
    cluster.podLabels = { [`hufflepuff/cedric-diggory-1`]: { [role]: 'blocked' } };
    probes(t, cluster, [[cedric1, 'tcp', harry0, 80, false]]);
    cluster.podLabels = {};
    probes(t, cluster, [[draco0, 'tcp', luna1, 80, true]]);
    cluster.podLabels = { [`ravenclaw/luna-lovegood-0`]: { [role]: 'restricted' } };
    probes(t, cluster, [[luna0, 'tcp', draco0, 80, false], [luna1, 'tcp', draco0, 80, true]]);
    cluster.podLabels = { [`ravenclaw/luna-lovegood-1`]: { [role]: 'restricted' } };
    probes(t, cluster, [[luna0, 'tcp', draco0, 80, true], [luna1, 'tcp', draco0, 80, false]]);
  });
}

t.test('CNPAdminTierEgressTCP: rule order, egress rules leave ingress alone, and the Deny and Pass swaps', async (t) => {
  const cluster = new Cluster('admin_tier/standard-egress-tcp-rules.yaml');
  probes(t, cluster, [[harry0, 'tcp', luna0, 80, true], [harry1, 'tcp', luna0, 8080, true], [harry0, 'tcp', cedric1, 8080, true], [harry1, 'tcp', cedric1, 80, false]]);
  probes(t, cluster, [[luna0, 'tcp', harry0, 80, true], [draco0, 'tcp', harry1, 80, true]]);
  cluster.edit('egress-tcp', (spec) => swap(spec.egress, 0, 1));
  probes(t, cluster, [[harry0, 'tcp', luna1, 80, false], [harry1, 'tcp', luna1, 8080, false], [harry0, 'tcp', draco0, 80, false], [harry1, 'tcp', draco0, 8080, true]]);
  cluster.edit('egress-tcp', (spec) => swap(spec.egress, 0, 2));
  probes(t, cluster, [[harry0, 'tcp', luna0, 80, true], [harry1, 'tcp', luna0, 8080, true]]);
  cluster.edit('egress-tcp', (spec) => swap(spec.egress, 3, 4));
  probes(t, cluster, [[harry0, 'tcp', draco0, 80, true], [harry1, 'tcp', draco0, 8080, true]]);
});

t.test('CNPBaselineTierEgressInlineCIDRPeer', async (t) => {
  const cluster = new Cluster('baseline_tier/standard-egress-inline-cidr-rules.yaml');
  const all = (to: string, expected: boolean): Probe[] => [[harry1, 'tcp', to, 80, expected], [harry1, 'udp', to, 53, expected], [harry1, 'sctp', to, 9003, expected]];
  probes(t, cluster, [...all(luna0, false), ...all(cedric0, false), ...all(draco0, true)]);
  cluster.namespaceLabels.slytherin = { 'conformance-house': 'denied-namespace-label' };
  probes(t, cluster, all(draco0, false));
  delete cluster.namespaceLabels.slytherin;
  probes(t, cluster, all(draco0, true));
  cluster.edit('default', (spec) => {
    spec.egress.unshift({ name: 'allow-egress-to-specific-podIPs', action: 'Accept', to: [{ networks: ['10.1.4.1/32', '10.1.3.1/32'] }] });
  });
  probes(t, cluster, [...all(luna0, true), ...all(cedric0, true), ...all(luna1, false), ...all(cedric1, false)]);
});

t.test('CNPBaselineTierEgressNodePeers and EgressNamedPort', async (t) => {
  const nodesCluster = new Cluster('baseline_tier/experimental-egress-selector-rules.yaml');
  const centaur = 'forbidden-forrest/centaur-1';
  const [tcp0, tcp1, , , udp4, , sctp6] = hostNetworkPorts as [number, number, number, number, number, number, number];
  probes(t, nodesCluster, [[harry0, 'tcp', centaur, tcp0, true], [harry1, 'tcp', centaur, tcp1, true], [harry1, 'udp', centaur, udp4, false], [harry1, 'sctp', centaur, sctp6, false]]);
  const named = new Cluster('baseline_tier/standard-egress-udp-rules.yaml');
  named.edit('default', (spec) => {
    (spec.egress[3] as Rule).protocols = [{ destinationNamedPort: 'dns' }];
  });
  probes(t, named, [[cedric0, 'udp', harry1, 53, true], [cedric1, 'udp', harry1, 5353, false]]);
});
