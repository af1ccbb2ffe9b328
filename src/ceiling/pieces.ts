import { type Cidr, parseCidr } from '../reachability/cidr.ts';
import { describeSelector, everything, type Requirement, type Selector, selectsEverything } from '../reachability/label-selector.ts';
import { namespaceNameLabel } from '../reachability/model.ts';
import type { IpBlockPeer, Peer, SelectorPeer } from '../reachability/peers.ts';
import { namespaceNamed } from '../reachability/symbolic-scope.ts';
import { type KeyDomain, keyDomains } from '../reachability/symbolic.ts';
import { clip, maxQuotedItems, quoteList } from './brief.ts';

/**
 * A part of what one peer of a rule covers, small enough that each grant of a ceiling either
 * holds all of it or none of it: pods of one namespace name (or of namespaces no finite list
 * names) and one tier value (or no single tier), or one run of addresses between the
 * boundaries of the ceiling's CIDRs. pieceText names it in the namespace's terms, only when
 * needed: a policy may have many thousands of pieces.
 */
export type Piece = PodPiece | AddressPiece;

export interface PodPiece {
  readonly kind: 'pods';
  /** The one namespace it lies in; undefined when the namespace selector admits unboundedly many. */
  readonly namespaceName: string | undefined;
  /** The peer's namespace selector; undefined for a rule without peers (anywhere). */
  readonly namespaces: Selector | undefined;
  readonly pods: Selector;
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
  const pods: PodPiece = { kind: 'pods', namespaceName: undefined, namespaces: undefined, pods: everything };
  const bounds = cuts.map(ceilingRange);
  return [pods, ...everyAddress.flatMap((cidr) => splitRange(rangeOf(cidr), bounds, 'anywhere'))];
}

/** What splitting needs: the policy's namespace, the tier key, the ceiling's CIDRs, and a work budget. */
export interface PieceContext {
  readonly namespace: string;
  readonly tierKey: string;
  readonly cuts: readonly Cidr[];
  /** Called with the number of pieces before they are made; throws when over budget. */
  readonly charge: (count: number) => void;
}

export function peerPieces(peer: Peer, context: PieceContext): Piece[] {
  if (peer.kind === 'selector') return podPieces(peer, context);
  return addressPieces(peer, context);
}

function podPieces(peer: SelectorPeer, { namespace: policyNamespace, tierKey, charge }: PieceContext): PodPiece[] {
  const pods = keyDomains([peer.podSelector]);
  if (![...pods.values()].every(isPossible)) return [];
  const names = peer.namespaceSelector === undefined ? [policyNamespace] : namespaceNames(peer.namespaceSelector);
  if (names === null) return [];
  const tiers = finiteValues(pods.get(tierKey));
  const namespaceParts: (string | undefined)[] = names ?? [undefined];
  charge(splittingCost(namespaceParts.length, tiers?.length, peer.podSelector.requirements.filter((r) => r.key !== tierKey)));
  const selectors = tiers === undefined ? [peer.podSelector] : tiers.map((tier) => restrict(peer.podSelector, tierKey, tier));
  const namespaces = peer.namespaceSelector ?? namespaceNamed(policyNamespace);
  return namespaceParts.flatMap((name) => selectors.map((part): PodPiece => ({ kind: 'pods', namespaceName: name, namespaces, pods: part })));
}

/** The names a namespace selector admits when finitely many; undefined: unboundedly many; null: none. */
function namespaceNames(selector: Selector): string[] | undefined | null {
  const domains = keyDomains([selector, namespaceFacts]);
  if (![...domains.values()].every(isPossible)) return null;
  return finiteValues(domains.get(namespaceNameLabel));
}

function isPossible(domain: KeyDomain): boolean {
  return domain.absent || !domain.finite || domain.values.size > 0;
}

/**
 * The values a key may take when only finitely many and the key is required; undefined when
 * it may be absent or take unboundedly many values.
 */
function finiteValues(domain: KeyDomain | undefined): string[] | undefined {
  if (domain === undefined || domain.absent || !domain.finite) return undefined;
  return [...domain.values].sort();
}

/**
 * names × tiers can be far more than the values written: charged before building. Each tier's
 * selector is a copy of the peer's other requirements, compared with every grant: their size
 * is charged once per tier too.
 */
function splittingCost(names: number, tiers: number | undefined, others: readonly Requirement[]): number {
  if (tiers === undefined) return names;
  return names * tiers + tiers * others.reduce((size, requirement) => size + 1 + requirement.values.length, 0);
}

/** The selector with its requirements on `key` replaced by `key=value` (a value they allow). */
function restrict(selector: Selector, key: string, value: string): Selector {
  const requirement: Requirement = { key, operator: 'In', values: [value] };
  return { requirements: [...selector.requirements.filter((r) => r.key !== key), requirement] };
}

/**
 * `tier=business pods in products-prod`, `any pod in any namespace`, `addresses in 0.0.0.0/1`,
 * `anywhere`; long selectors and except lists shortened (brief.ts).
 */
export function pieceText(piece: Piece): string {
  if (piece.kind === 'addresses') return clip(piece.text);
  if (piece.namespaces === undefined) return 'anywhere';
  return `${clip(describePods(piece.pods))} in ${clip(piece.namespaceName ?? describeNamespaces(piece.namespaces))}`;
}

export function describePods(pods: Selector): string {
  return selectsEverything(pods) ? 'any pod' : `${briefSelector(pods)} pods`;
}

function describeNamespaces(namespaces: Selector): string {
  return selectsEverything(namespaces) ? 'any namespace' : `namespaces matching ${briefSelector(namespaces)}`;
}

/** describeSelector with at most a few requirements and values each: `app notin (v0,v1,v2,v3,v4 and 4995 more)`. */
function briefSelector(selector: Selector): string {
  const shown = selector.requirements.slice(0, maxQuotedItems).map(briefRequirement).join(',');
  const more = selector.requirements.length - maxQuotedItems;
  return more > 0 ? `${shown} and ${more} more requirements` : shown;
}

function briefRequirement(requirement: Requirement): string {
  if (requirement.values.length <= maxQuotedItems) return describeSelector({ requirements: [requirement] });
  return `${requirement.key} ${requirement.operator === 'In' ? 'in' : 'notin'} (${quoteList(requirement.values, ',')})`;
}

/** Charged as it goes: the runs between except entries, then the cuts within them. */
function addressPieces(peer: IpBlockPeer, { cuts, charge }: PieceContext): AddressPiece[] {
  const except = peer.except.length === 0 ? '' : ` except ${quoteList(peer.except.map((c) => c.text), ', ')}`;
  const text = `addresses in ${peer.cidr.text}${except}`;
  const runs = withoutHoles(rangeOf(peer.cidr), peer.except.map(rangeOf));
  charge(runs.length);
  const bounds = cuts.map(ceilingRange);
  const pieces = runs.flatMap((range) => splitRange(range, bounds, text));
  charge(pieces.length - runs.length);
  return pieces;
}

function rangeOf(cidr: Cidr): AddressRange {
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return { family: cidr.family, first: cidr.network, last: cidr.network + (1n << hostBits) - 1n };
}

/** The parts of `range` outside every hole, in one sweep over the holes sorted by start. */
function withoutHoles(range: AddressRange, holes: readonly AddressRange[]): AddressRange[] {
  const overlapping = holes.filter((hole) => hole.family === range.family && hole.last >= range.first && hole.first <= range.last);
  overlapping.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const parts: AddressRange[] = [];
  let cursor = range.first;
  for (const hole of overlapping) {
    if (hole.first > cursor) parts.push({ ...range, first: cursor, last: hole.first - 1n });
    if (hole.last >= cursor) cursor = hole.last + 1n;
    if (cursor > range.last) return parts;
  }
  parts.push({ ...range, first: cursor });
  return parts;
}

/** Cuts the range where a CIDR of the ceiling starts or ends, so each part is inside or outside each one. */
function splitRange(range: AddressRange, cuts: readonly AddressRange[], text: string): AddressPiece[] {
  const starts = new Set<bigint>([range.first]);
  for (const cut of cuts.filter((c) => c.family === range.family)) {
    if (cut.first > range.first && cut.first <= range.last) starts.add(cut.first);
    if (cut.last >= range.first && cut.last < range.last) starts.add(cut.last + 1n);
  }
  const sorted = [...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map((first, i) => ({ kind: 'addresses', family: range.family, first, last: (sorted[i + 1] ?? range.last + 1n) - 1n, text }));
}

/**
 * The ceiling's CIDRs cut every ipBlock and hold every address piece, for each tier: their
 * ranges are worked out once (bigint arithmetic), not once per piece.
 */
const ceilingRanges = new WeakMap<Cidr, AddressRange>();

function ceilingRange(cidr: Cidr): AddressRange {
  let range = ceilingRanges.get(cidr);
  if (range === undefined) {
    range = rangeOf(cidr);
    ceilingRanges.set(cidr, range);
  }
  return range;
}

export function pieceWithinCidr(piece: AddressPiece, cidr: Cidr): boolean {
  const range = ceilingRange(cidr);
  return piece.family === range.family && piece.first >= range.first && piece.last <= range.last;
}
