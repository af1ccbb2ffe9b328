import type { NetworkPolicyPeer } from '../kube/network-policy.ts';
import { type Cidr, cidrContains, parseCidr, parseIp } from './cidr.ts';
import { InvalidPolicyError } from './errors.ts';
import { describeSelector, parseSelector, type Selector, selectorMatches } from './label-selector.ts';
import type { Endpoint, Labels, PodInfo } from './model.ts';

/**
 * A `from`/`to` entry. Selector peers select pods: `namespaceSelector` absent means the
 * policy's own namespace, `podSelector` absent means every pod of the selected namespaces, and
 * both together must both hold (AND inside one peer). ipBlock peers match addresses: outside
 * the cluster, and pod IPs too (upstream's e2e "should allow egress access to server in CIDR
 * block" allows a pod by its IP).
 */
export type Peer = SelectorPeer | IpBlockPeer;

export interface SelectorPeer {
  readonly kind: 'selector';
  /** undefined: the policy's own namespace. */
  readonly namespaceSelector: Selector | undefined;
  readonly podSelector: Selector;
}

export interface IpBlockPeer {
  readonly kind: 'ipBlock';
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
}

/** Namespace labels by name; a namespace the input does not describe has only its name label. */
export type NamespaceLabels = (namespace: string) => Labels;

export function parsePeer(peer: NetworkPolicyPeer, path: string): Peer {
  const hasSelector = isSet(peer.podSelector) || isSet(peer.namespaceSelector);
  if (isSet(peer.ipBlock)) {
    if (hasSelector) throw new InvalidPolicyError(path, 'ipBlock cannot be combined with podSelector or namespaceSelector');
    return parseIpBlock(peer.ipBlock, `${path}.ipBlock`);
  }
  if (!hasSelector) throw new InvalidPolicyError(path, 'a peer needs podSelector, namespaceSelector or ipBlock');
  return {
    kind: 'selector',
    namespaceSelector: isSet(peer.namespaceSelector) ? parseSelector(peer.namespaceSelector, `${path}.namespaceSelector`) : undefined,
    podSelector: parseSelector(peer.podSelector, `${path}.podSelector`),
  };
}

function isSet<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

function parseIpBlock(block: { readonly cidr: string; readonly except?: readonly string[] }, path: string): IpBlockPeer {
  const cidr = parseCidr(String(block.cidr));
  if (cidr === undefined) throw new InvalidPolicyError(`${path}.cidr`, `"${block.cidr}" is not a CIDR`);
  const except = (block.except ?? []).map((text, index) => {
    const parsed = parseCidr(String(text));
    if (parsed === undefined) throw new InvalidPolicyError(`${path}.except[${index}]`, `"${text}" is not a CIDR`);
    return parsed;
  });
  return { kind: 'ipBlock', cidr, except };
}

export function ipBlockContains(peer: IpBlockPeer, ip: string): boolean {
  const address = parseIp(ip);
  if (address === undefined || !cidrContains(peer.cidr, address)) return false;
  return !peer.except.some((except) => cidrContains(except, address));
}

export function selectorPeerMatchesPod(peer: SelectorPeer, policyNamespace: string, pod: PodInfo, namespaceLabels: NamespaceLabels): boolean {
  const namespaceMatches = peer.namespaceSelector === undefined ? pod.namespace === policyNamespace : selectorMatches(peer.namespaceSelector, namespaceLabels(pod.namespace));
  return namespaceMatches && selectorMatches(peer.podSelector, pod.labels);
}

/** Whether the peer entry covers the other end of the connection. */
export function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint, namespaceLabels: NamespaceLabels): boolean {
  if (peer.kind === 'ipBlock') return 'pod' in other ? other.pod.ips.some((ip) => ipBlockContains(peer, ip)) : ipBlockContains(peer, other.ip);
  return 'pod' in other && selectorPeerMatchesPod(peer, policyNamespace, other.pod, namespaceLabels);
}

export function describePeer(peer: Peer, policyNamespace: string): string {
  if (peer.kind === 'ipBlock') {
    const except = peer.except.length === 0 ? '' : ` except ${peer.except.map((c) => c.text).join(', ')}`;
    return `ipBlock ${peer.cidr.text}${except}`;
  }
  const namespaces = peer.namespaceSelector === undefined ? `namespace ${policyNamespace}` : `namespaces matching ${describeSelector(peer.namespaceSelector)}`;
  return `pods matching ${describeSelector(peer.podSelector)} in ${namespaces}`;
}
