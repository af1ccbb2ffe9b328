/**
 * Builders for the reachability tests, after upstream's netpol e2e model: namespaces x, y, z
 * (labelled ns=<name>), pods a, b, c in each (labelled pod=<name>), every pod serving 80 and 81
 * on TCP, UDP and SCTP with container ports named serve-<port>-<protocol>.
 */
import { isIP } from 'node:net';
import type { Test } from 'tap';
import type { NetworkPolicy, NetworkPolicySpec } from '../../src/kube/network-policy.ts';
import { reachabilityMatrix } from '../../src/reachability/matrix.ts';
import { type ContainerPort, type Endpoint, type PodInfo, podKey, type Protocol, protocols, type Traffic } from '../../src/reachability/model.ts';
import { evaluate } from '../../src/reachability/verdict.ts';
import { buildWorld, type World } from '../../src/reachability/world.ts';

export const namespaceNames = ['x', 'y', 'z'] as const;
export const podNames = ['a', 'b', 'c'] as const;

const servingPorts: ContainerPort[] = [80, 81].flatMap((port) => protocols.map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol })));

/** x/a is 10.0.1.1, y/c is 10.0.2.3: a pod's IP follows its namespace and name. */
export function upstreamPod(namespace: string, name: string): PodInfo {
  assertUpstreamPod(`${namespace}/${name}`);
  const ip = `10.0.${namespaceNames.indexOf(namespace as 'x') + 1}.${podNames.indexOf(name as 'a') + 1}`;
  return { namespace, name, labels: { pod: name }, ips: [ip], ports: servingPorts };
}

export function upstreamWorld(policies: readonly NetworkPolicy[]): World {
  return buildWorld({
    namespaces: namespaceNames.map((name) => ({ name, labels: { ns: name } })),
    pods: namespaceNames.flatMap((namespace) => podNames.map((name) => upstreamPod(namespace, name))),
    policies,
  });
}

export function policy(key: string, spec: NetworkPolicySpec): NetworkPolicy {
  const [namespace, name] = key.split('/') as [string, string];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec };
}

export function pod(key: string, labels: Record<string, string> = {}, extra: { ips?: string[]; ports?: ContainerPort[] } = {}): PodInfo {
  const [namespace, name] = key.split('/') as [string, string];
  return { namespace, name, labels, ips: extra.ips ?? [], ports: extra.ports ?? [] };
}

/**
 * `ns/name` is a pod of the world, an IP address one outside the cluster; anything else is a
 * mistake in the test (a mistyped pod would otherwise be an outside address nothing allows,
 * and every `allowed: false` about it would pass).
 */
export function endpoint(world: World, name: string): Endpoint {
  const found = world.podsByKey.get(name);
  if (found !== undefined) return { pod: found };
  if (isIP(name) !== 0) return { ip: name };
  throw new Error(`"${name}" is neither a pod of this world (${[...world.podsByKey.keys()].join(', ')}) nor an IP address`);
}

export function allowed(world: World, from: string, to: string, port = 80, protocol: Protocol = 'TCP'): boolean {
  return evaluate(world, endpoint(world, from), endpoint(world, to), { port, protocol }).allowed;
}

export type Expectation = (from: PodInfo, to: PodInfo) => boolean;

/**
 * Checks every ordered pair, with both the pairwise evaluator and the matrix, against the
 * expected truth table; on failure lists the pairs that differ as `from->to: got`.
 */
export function assertTruthTable(t: Test, world: World, expectation: Expectation, traffic: Traffic): void {
  const { port, protocol } = traffic;
  const matrix = reachabilityMatrix(world, traffic);
  const wrong: string[] = [];
  world.pods.forEach((from, i) => {
    world.pods.forEach((to, j) => {
      const expected = expectation(from, to);
      const pairwise = evaluate(world, { pod: from }, { pod: to }, { port, protocol }).allowed;
      if (pairwise !== expected) wrong.push(`${podKey(from)}->${podKey(to)}: evaluate says ${pairwise}`);
      if (matrix.allowed(i, j) !== expected) wrong.push(`${podKey(from)}->${podKey(to)}: matrix says ${matrix.allowed(i, j)}`);
    });
  });
  t.same(wrong, [], `${protocol}/${port}: every pair as expected`);
}

/** Upstream's pods are x/a … z/c; a name outside them would make an expectation that matches nothing. */
function assertUpstreamPod(key: string): void {
  const [namespace, name] = key.split('/');
  if (!namespaceNames.includes(namespace as 'x') || !podNames.includes(name as 'a') || key.split('/').length !== 2) {
    throw new Error(`"${key}" is not one of upstream's pods (${namespaceNames.join(', ')} / ${podNames.join(', ')})`);
  }
}

export const is = (key: string): ((p: PodInfo) => boolean) => {
  assertUpstreamPod(key);
  return (p: PodInfo): boolean => podKey(p) === key;
};
export const inNamespace = (namespace: string): ((p: PodInfo) => boolean) => {
  if (!namespaceNames.includes(namespace as 'x')) throw new Error(`"${namespace}" is not one of upstream's namespaces (${namespaceNames.join(', ')})`);
  return (p: PodInfo): boolean => p.namespace === namespace;
};
