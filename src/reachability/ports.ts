import type { NetworkPolicyPort } from '../kube/network-policy.ts';
import { InvalidPolicyError } from './errors.ts';
import { type PodInfo, type Protocol, protocols, type Traffic } from './model.ts';

/** One entry of a rule's `ports`, after defaulting: the protocol is always set. */
export interface PortRule {
  readonly protocol: Protocol;
  /** A number, a container port name, or absent: every port of the protocol. */
  readonly port?: number | string;
  /** With a numeric `port`, the range `port..endPort` inclusive. */
  readonly endPort?: number;
}

/**
 * The API server defaults `protocol` to TCP (SetDefaults_NetworkPolicyPort), so `ports: [{}]`
 * means every TCP port, not every port; only an empty or absent `ports` means every port of
 * every protocol.
 */
export function parsePortRule(port: NetworkPolicyPort, path: string): PortRule {
  const protocol = port.protocol ?? 'TCP';
  if (!protocols.includes(protocol)) throw new InvalidPolicyError(`${path}.protocol`, `"${protocol}" is not one of ${protocols.join(', ')}`);
  const value = port.port === null ? undefined : port.port;
  if (value === undefined) {
    if (port.endPort !== undefined && port.endPort !== null) throw new InvalidPolicyError(`${path}.endPort`, 'needs a numeric port');
    return { protocol };
  }
  if (typeof value === 'string') return parseNamed(protocol, value, port.endPort, path);
  return parseRange(protocol, value, port.endPort ?? undefined, path);
}

/**
 * A named port is an IANA service name (at most 15 characters, lower-case letters, digits and
 * single inner hyphens, at least one letter): `port: "80"` in quotes is refused, not read as 80.
 */
function parseNamed(protocol: Protocol, name: string, endPort: number | undefined | null, path: string): PortRule {
  if (!/^(?=.*[a-z])[a-z0-9](?:-?[a-z0-9])*$/.test(name) || name.length > 15) {
    throw new InvalidPolicyError(`${path}.port`, `"${name}" is neither a port number nor a port name (lower-case letters, digits and inner hyphens, at most 15, at least one letter)`);
  }
  if (endPort !== undefined && endPort !== null) throw new InvalidPolicyError(`${path}.endPort`, `needs a numeric port, not the named port "${name}"`);
  return { protocol, port: name };
}

function parseRange(protocol: Protocol, port: number, endPort: number | undefined, path: string): PortRule {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidPolicyError(`${path}.port`, `${port} is not a port number (1-65535)`);
  if (endPort === undefined) return { protocol, port };
  if (!Number.isInteger(endPort) || endPort < port || endPort > 65535) throw new InvalidPolicyError(`${path}.endPort`, `${endPort} must be a port number ≥ port (${port})`);
  return { protocol, port, endPort };
}

/**
 * Whether traffic to `destination` on `traffic.port`/`protocol` matches the entry. A named port
 * resolves against the destination pod's container ports, for ingress (the selected pod) and
 * for egress (the peer) alike; an address outside the cluster has no named ports.
 */
export function portRuleMatches(rule: PortRule, traffic: Traffic, destination: PodInfo | undefined): boolean {
  if (rule.protocol !== traffic.protocol) return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port === 'number') return traffic.port >= rule.port && traffic.port <= (rule.endPort ?? rule.port);
  return namedPortNumbers(destination, rule.port, rule.protocol).includes(traffic.port);
}

/** The numbers a named port stands for on a pod (containers may share a name only across protocols). */
export function namedPortNumbers(pod: PodInfo | undefined, name: string, protocol: Protocol): number[] {
  if (pod === undefined) return [];
  return pod.ports.filter((p) => p.name === name && p.protocol === protocol).map((p) => p.containerPort);
}

/** An empty `ports` list allows every port and protocol. */
export function portsMatch(rules: readonly PortRule[], traffic: Traffic, destination: PodInfo | undefined): boolean {
  return rules.length === 0 || rules.some((rule) => portRuleMatches(rule, traffic, destination));
}

export function describePortRule(rule: PortRule): string {
  if (rule.port === undefined) return `${rule.protocol}/any`;
  if (rule.endPort !== undefined) return `${rule.protocol}/${rule.port}-${rule.endPort}`;
  return `${rule.protocol}/${rule.port}`;
}
