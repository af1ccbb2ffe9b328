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

/** One key's domain while the requirements on it are intersected in place: linear in their values. */
interface Accumulating {
  absent: boolean;
  finite: boolean;
  values: Set<string>;
}

function narrow(domain: Accumulating, { operator, values }: Requirement): void {
  switch (operator) {
    case 'In':
      domain.absent = false;
      domain.values = domain.finite ? keep(values, (v) => domain.values.has(v)) : keep(values, (v) => !domain.values.has(v));
      domain.finite = true;
      return;
    case 'NotIn':
      if (domain.finite) for (const value of values) domain.values.delete(value);
      else for (const value of values) domain.values.add(value);
      return;
    case 'Exists':
      domain.absent = false;
      return;
    case 'DoesNotExist':
      domain.finite = true;
      domain.values = new Set();
  }
}

function keep(values: readonly string[], test: (value: string) => boolean): Set<string> {
  return new Set(values.filter(test));
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
  const domains = new Map<string, Accumulating>();
  for (const selector of selectors) {
    for (const requirement of selector.requirements) {
      let domain = domains.get(requirement.key);
      if (domain === undefined) {
        domain = { absent: true, finite: false, values: new Set() };
        domains.set(requirement.key, domain);
      }
      narrow(domain, requirement);
    }
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
