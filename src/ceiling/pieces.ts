import { type Cidr, parseCidr } from '../reachability/cidr.ts';
import { describeSelector, everything, type Requirement, type Selector, selectsEverything } from '../reachability/label-selector.ts';
import { namespaceNameLabel } from '../reachability/model.ts';
import type { IpBlockPeer, Peer, SelectorPeer } from '../reachability/peers.ts';
import { namespaceNamed } from '../reachability/symbolic-scope.ts';
import { keyDomains, satisfiable } from '../reachability/symbolic.ts';

/**
 * A part of what one peer of a rule covers, small enough that each grant of a ceiling either
 * holds all of it or none of it: pods of one namespace name (or of namespaces no finite list
 * names) and one tier value (or no single tier), or one run of addresses between the
 * boundaries of the ceiling's CIDRs. `text` names it in the namespace's terms.
 */
export type Piece = PodPiece | AddressPiece;

export interface PodPiece {
  readonly kind: 'pods';
  /** The one namespace it lies in; undefined when the namespace selector admits unboundedly many. */
  readonly namespaceName: string | undefined;
  readonly pods: Selector;
  readonly text: string;
}

export interface AddressPiece {
  readonly kind: 'addresses';
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly text: string;
}

interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

/** The API server sets kubernetes.io/metadata.name on every namespace. */
const namespaceFacts: Selector = { requirements: [{ key: namespaceNameLabel, operator: 'Exists', values: [] }] };

const everyAddress = [parseCidr('0.0.0.0/0'), parseCidr('::/0')] as Cidr[];

/** A rule without peers admits every pod and every address. */
export function anywherePieces(cuts: readonly Cidr[]): Piece[] {
  const pods: PodPiece = { kind: 'pods', namespaceName: undefined, pods: everything, text: 'anywhere' };
  return [pods, ...everyAddress.flatMap((cidr) => splitRange(rangeOf(cidr), cuts, 'anywhere'))];
}

export function peerPieces(peer: Peer, policyNamespace: string, tierKey: string, cuts: readonly Cidr[]): Piece[] {
  return peer.kind === 'ipBlock' ? addressPieces(peer, cuts) : podPieces(peer, policyNamespace, tierKey);
}

function podPieces(peer: SelectorPeer, policyNamespace: string, tierKey: string): PodPiece[] {
  const namespaces = peer.namespaceSelector ?? namespaceNamed(policyNamespace);
  if (!satisfiable(namespaces, namespaceFacts) || !satisfiable(peer.podSelector)) return [];
  const names = finiteValues([namespaces, namespaceFacts], namespaceNameLabel);
  const tiers = finiteValues([peer.podSelector], tierKey);
  const podParts = tiers === undefined ? [peer.podSelector] : tiers.map((tier) => restrict(peer.podSelector, tierKey, tier));
  const namespaceParts: (string | undefined)[] = names ?? [undefined];
  return namespaceParts.flatMap((name) =>
    podParts.map((pods): PodPiece => ({ kind: 'pods', namespaceName: name, pods, text: `${describePods(pods)} in ${name ?? describeNamespaces(namespaces)}` })),
  );
}

/**
 * The values `key` may take when the selectors allow only finitely many and require the key;
 * undefined when the key may be absent or take unboundedly many values.
 */
function finiteValues(selectors: readonly Selector[], key: string): string[] | undefined {
  const domain = keyDomains(selectors).get(key);
  if (domain === undefined || domain.absent || !domain.finite) return undefined;
  return [...domain.values].sort();
}

/** The selector with its requirements on `key` replaced by `key=value` (a value they allow). */
function restrict(selector: Selector, key: string, value: string): Selector {
  const requirement: Requirement = { key, operator: 'In', values: [value] };
  return { requirements: [...selector.requirements.filter((r) => r.key !== key), requirement] };
}

export function describePods(pods: Selector): string {
  return selectsEverything(pods) ? 'any pod' : `${describeSelector(pods)} pods`;
}

function describeNamespaces(namespaces: Selector): string {
  return selectsEverything(namespaces) ? 'any namespace' : `namespaces matching ${describeSelector(namespaces)}`;
}

function addressPieces(peer: IpBlockPeer, cuts: readonly Cidr[]): AddressPiece[] {
  const text = `addresses in ${peer.cidr.text}${peer.except.length === 0 ? '' : ` except ${peer.except.map((c) => c.text).join(', ')}`}`;
  let ranges: AddressRange[] = [rangeOf(peer.cidr)];
  for (const except of peer.except) ranges = ranges.flatMap((range) => subtract(range, rangeOf(except)));
  return ranges.flatMap((range) => splitRange(range, cuts, text));
}

function rangeOf(cidr: Cidr): AddressRange {
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return { family: cidr.family, first: cidr.network, last: cidr.network + (1n << hostBits) - 1n };
}

function subtract(range: AddressRange, hole: AddressRange): AddressRange[] {
  if (hole.family !== range.family || hole.last < range.first || hole.first > range.last) return [range];
  const left = hole.first > range.first ? [{ ...range, last: hole.first - 1n }] : [];
  const right = hole.last < range.last ? [{ ...range, first: hole.last + 1n }] : [];
  return [...left, ...right];
}

/** Cuts the range where a CIDR of the ceiling starts or ends, so each part is inside or outside each one. */
function splitRange(range: AddressRange, cuts: readonly Cidr[], text: string): AddressPiece[] {
  const starts = new Set<bigint>([range.first]);
  for (const cut of cuts.filter((c) => c.family === range.family).map(rangeOf)) {
    if (cut.first > range.first && cut.first <= range.last) starts.add(cut.first);
    if (cut.last >= range.first && cut.last < range.last) starts.add(cut.last + 1n);
  }
  const sorted = [...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map((first, i) => ({ kind: 'addresses', family: range.family, first, last: (sorted[i + 1] ?? range.last + 1n) - 1n, text }));
}

export function pieceWithinCidr(piece: AddressPiece, cidr: Cidr): boolean {
  const range = rangeOf(cidr);
  return piece.family === range.family && piece.first >= range.first && piece.last <= range.last;
}
