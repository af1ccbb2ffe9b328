import fc from 'fast-check';
import t from 'tap';
import type { LabelSelector } from '../../src/kube/network-policy.ts';
import { parseSelector, type Selector, selectorMatches } from '../../src/reachability/label-selector.ts';
import { parsePolicy } from '../../src/reachability/policy.ts';
import type { SelectorPeer } from '../../src/reachability/peers.ts';
import { implies, satisfiable } from '../../src/reachability/symbolic.ts';
import { peerScope, policyScope, type PodScope, scopesOverlap, scopeWithin } from '../../src/reachability/symbolic-scope.ts';
import { allLabelSets, selectorArb } from './reachability-arbitraries.ts';

const sel = (selector: LabelSelector): Selector => parseSelector(selector, 'test');
const expr = (key: string, operator: string, values?: string[]) => sel({ matchExpressions: [{ key, operator, ...(values === undefined ? {} : { values }) }] });
const labels = (matchLabels: Record<string, string>) => sel({ matchLabels });

t.test('satisfiable: can one label set match both', async (t) => {
  const cases: [string, Selector, Selector, boolean][] = [
    ['{} and {}', sel({}), sel({}), true],
    ['{} and anything', sel({}), labels({ a: '1' }), true],
    ['a=1 and a=2', labels({ a: '1' }), labels({ a: '2' }), false],
    ['a=1 and b=2', labels({ a: '1' }), labels({ b: '2' }), true],
    ['a=1 and a in (1,2)', labels({ a: '1' }), expr('a', 'In', ['1', '2']), true],
    ['a in (1,2) and a in (2,3)', expr('a', 'In', ['1', '2']), expr('a', 'In', ['2', '3']), true],
    ['a in (1) and a in (2,3)', expr('a', 'In', ['1']), expr('a', 'In', ['2', '3']), false],
    ['a in (1,2) and a notin (1,2)', expr('a', 'In', ['1', '2']), expr('a', 'NotIn', ['1', '2']), false],
    ['a in (1,2) and a notin (1)', expr('a', 'In', ['1', '2']), expr('a', 'NotIn', ['1']), true],
    ['a notin (1) and a notin (2): some other value or absent', expr('a', 'NotIn', ['1']), expr('a', 'NotIn', ['2']), true],
    ['a exists and !a', expr('a', 'Exists'), expr('a', 'DoesNotExist'), false],
    ['a=1 and !a', labels({ a: '1' }), expr('a', 'DoesNotExist'), false],
    ['a notin (1) and !a: the absent key satisfies both', expr('a', 'NotIn', ['1']), expr('a', 'DoesNotExist'), true],
    ['a exists and a notin (1,2,3): values are unbounded', expr('a', 'Exists'), expr('a', 'NotIn', ['1', '2', '3']), true],
    ['a=1 and a notin (1)', labels({ a: '1' }), expr('a', 'NotIn', ['1']), false],
  ];
  for (const [name, a, b, expected] of cases) t.equal(satisfiable(a, b), expected, name);
  t.equal(satisfiable(labels({ a: '1' }), labels({ b: '1' }), labels({ a: '2' })), false, 'three selectors');
});

t.test('implies: everything that matches the first matches the second', async (t) => {
  const cases: [string, Selector, Selector, boolean][] = [
    ['anything implies {}', labels({ a: '1' }), sel({}), true],
    ['{} does not imply a=1', sel({}), labels({ a: '1' }), false],
    ['a=1,b=2 implies a=1', labels({ a: '1', b: '2' }), labels({ a: '1' }), true],
    ['a=1 does not imply a=1,b=2', labels({ a: '1' }), labels({ a: '1', b: '2' }), false],
    ['a=1 implies a in (1,2)', labels({ a: '1' }), expr('a', 'In', ['1', '2']), true],
    ['a in (1,2) does not imply a=1', expr('a', 'In', ['1', '2']), labels({ a: '1' }), false],
    ['a=1 implies a exists', labels({ a: '1' }), expr('a', 'Exists'), true],
    ['a exists does not imply a=1', expr('a', 'Exists'), labels({ a: '1' }), false],
    ['a=1 implies a notin (2)', labels({ a: '1' }), expr('a', 'NotIn', ['2']), true],
    ['!a implies a notin (1)', expr('a', 'DoesNotExist'), expr('a', 'NotIn', ['1']), true],
    ['a notin (1) does not imply !a', expr('a', 'NotIn', ['1']), expr('a', 'DoesNotExist'), false],
    ['a notin (1,2) implies a notin (1)', expr('a', 'NotIn', ['1', '2']), expr('a', 'NotIn', ['1']), true],
    ['a notin (1) does not imply a notin (1,2)', expr('a', 'NotIn', ['1']), expr('a', 'NotIn', ['1', '2']), false],
    ['a notin (1) does not imply a exists (absent)', expr('a', 'NotIn', ['1']), expr('a', 'Exists'), false],
    ['an unsatisfiable selector implies anything', sel({ matchLabels: { a: '1' }, matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }), labels({ z: '9' }), true],
  ];
  for (const [name, a, b, expected] of cases) t.equal(implies(a, b), expected, name);
  t.equal(implies(expr('a', 'NotIn', ['1']), expr('a', 'Exists')), false, 'without the assumption the key may be absent');
  t.equal(implies(expr('a', 'NotIn', ['1']), expr('a', 'Exists'), [expr('a', 'Exists')]), true, 'assuming every object carries a');
});

const universe = allLabelSets();

t.test('satisfiable agrees with brute force over every label set of the universe', async (t) => {
  fc.assert(
    fc.property(selectorArb, selectorArb, (a, b) => {
      const sa = sel(a);
      const sb = sel(b);
      return satisfiable(sa, sb) === universe.some((l) => selectorMatches(sa, l) && selectorMatches(sb, l));
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 selector pairs');
});

t.test('implies agrees with brute force, with and without an assumption', async (t) => {
  fc.assert(
    fc.property(selectorArb, selectorArb, fc.option(selectorArb, { nil: undefined }), (a, b, assumed) => {
      const sa = sel(a);
      const sb = sel(b);
      const assume = assumed === undefined ? [] : [sel(assumed)];
      const candidates = universe.filter((l) => selectorMatches(sa, l) && assume.every((s) => selectorMatches(s, l)));
      return implies(sa, sb, assume) === candidates.every((l) => selectorMatches(sb, l));
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 selector triples');
});

t.test('pod scopes: a policy against the peers of other policies, over every pod that could exist', async (t) => {
  const allowUi = parsePolicy({ metadata: { name: 'allow-ui', namespace: 'shop' }, spec: { podSelector: { matchLabels: { tier: 'ui' } }, ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { team: 'web' } }, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['ui', 'business'] }] } }] }] } });
  const rule = allowUi.rules.ingress[0];
  const ownNamespace = peerScope(rule?.peers[0] as SelectorPeer, 'shop');
  const webTeam = peerScope(rule?.peers[1] as SelectorPeer, 'shop');
  const everyPod: PodScope = { namespace: sel({}), pod: sel({}) };
  const shopUi: PodScope = { namespace: sel({ matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }), pod: labels({ tier: 'ui' }) };
  t.equal(scopesOverlap(policyScope(allowUi), ownNamespace), true, 'the policy selects pods its own namespace peer covers');
  t.equal(scopeWithin(policyScope(allowUi), ownNamespace), true, 'every pod it selects is in its namespace');
  t.equal(scopeWithin(ownNamespace, policyScope(allowUi)), false, 'not every pod of the namespace is tier=ui');
  t.equal(scopeWithin(shopUi, policyScope(allowUi)), true, 'shop tier=ui pods are exactly what it selects');
  t.equal(scopeWithin(everyPod, webTeam), false);
  t.equal(scopeWithin({ namespace: labels({ team: 'web' }), pod: labels({ tier: 'ui' }) }, webTeam), true);
  t.equal(scopesOverlap(webTeam, { namespace: labels({ team: 'db' }), pod: sel({}) }), false, 'team=web and team=db namespaces are different namespaces');
  t.equal(scopesOverlap(webTeam, { namespace: sel({}), pod: labels({ tier: 'db' }) }), false, 'tier in (ui,business) never matches tier=db');
  t.equal(scopesOverlap(everyPod, { namespace: expr('kubernetes.io/metadata.name', 'DoesNotExist'), pod: sel({}) }), false, 'no namespace lacks its name label');
  t.equal(scopeWithin({ namespace: expr('kubernetes.io/metadata.name', 'NotIn', ['kube-system']), pod: sel({}) }, { namespace: expr('kubernetes.io/metadata.name', 'Exists'), pod: sel({}) }), true, 'every namespace has a name');
  t.equal(scopesOverlap(policyScope(allowUi), { namespace: sel({ matchLabels: { 'kubernetes.io/metadata.name': 'other' } }), pod: sel({}) }), false, 'a policy never selects pods of another namespace');
});
