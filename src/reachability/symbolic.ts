import type { Requirement, Selector } from './label-selector.ts';

/**
 * Label selectors as sets of label sets, decided without enumerating labels: whether two
 * selectors can match a common object, and whether every object one matches the other matches
 * too. A selector constrains each key independently, so both questions reduce to one key at a
 * time. For one key, the labels an object may carry form a `KeyDomain`: whether the key may be
 * absent, and which values it may have, finite (In) or all but finitely many (NotIn, Exists).
 * Label values are unbounded, so a cofinite set is never empty.
 */
export interface KeyDomain {
  readonly absent: boolean;
  /** true: `values` are the allowed values; false: every value except `values`. */
  readonly finite: boolean;
  readonly values: ReadonlySet<string>;
}

const anything: KeyDomain = { absent: true, finite: false, values: new Set() };

function requirementDomain(requirement: Requirement): KeyDomain {
  const values = new Set(requirement.values);
  switch (requirement.operator) {
    case 'In':
      return { absent: false, finite: true, values };
    case 'NotIn':
      return { absent: true, finite: false, values };
    case 'Exists':
      return { absent: false, finite: false, values: new Set() };
    case 'DoesNotExist':
      return { absent: true, finite: true, values: new Set() };
  }
}

function intersect(a: KeyDomain, b: KeyDomain): KeyDomain {
  const absent = a.absent && b.absent;
  if (a.finite && b.finite) return { absent, finite: true, values: new Set([...a.values].filter((v) => b.values.has(v))) };
  if (a.finite) return { absent, finite: true, values: new Set([...a.values].filter((v) => !b.values.has(v))) };
  if (b.finite) return intersect(b, a);
  return { absent, finite: false, values: new Set([...a.values, ...b.values]) };
}

function isEmpty(domain: KeyDomain): boolean {
  return !domain.absent && domain.finite && domain.values.size === 0;
}

function isSubset(a: KeyDomain, b: KeyDomain): boolean {
  if (isEmpty(a)) return true;
  if (a.absent && !b.absent) return false;
  if (a.finite) return [...a.values].every((v) => b.finite === b.values.has(v));
  // a allows all but finitely many values: only a cofinite b that excludes no more can hold them.
  return !b.finite && [...b.values].every((v) => a.values.has(v));
}

/** Per key, what the conjunction of the selectors allows; keys no selector names are unconstrained. */
export function keyDomains(selectors: readonly Selector[]): Map<string, KeyDomain> {
  const domains = new Map<string, KeyDomain>();
  for (const selector of selectors) {
    for (const requirement of selector.requirements) domains.set(requirement.key, intersect(domains.get(requirement.key) ?? anything, requirementDomain(requirement)));
  }
  return domains;
}

/** Can one label set match every selector? (`{}` with anything: yes; `a=1` with `a=2`: no.) */
export function satisfiable(...selectors: readonly Selector[]): boolean {
  for (const domain of keyDomains(selectors).values()) if (isEmpty(domain)) return false;
  return true;
}

/**
 * Does every label set that matches `a` (and the `assume`d selectors, e.g. what every object of
 * the kind carries) also match `b`? True when nothing matches `a`.
 */
export function implies(a: Selector, b: Selector, assume: readonly Selector[] = []): boolean {
  const domains = keyDomains([a, ...assume]);
  if ([...domains.values()].some(isEmpty)) return true;
  for (const [key, required] of keyDomains([b])) {
    if (!isSubset(domains.get(key) ?? anything, required)) return false;
  }
  return true;
}
