// How the text and HTML reports name the object of a denial.
import t from 'tap';
import { describeObject } from '../../src/report/describe.ts';
import type { DenialEntry } from '../../src/report/model.ts';

const denial: DenialEntry = { time: '2026-11-30T08:00:00.000Z', kind: 'Pod', operation: 'CREATE', mode: 'enforce', code: 403, rules: ['POD-TIER'], dryRun: false, message: '' };

t.test('describeObject', async (t) => {
  const cases: { name: string; denial: Partial<DenialEntry>; text: string }[] = [
    { name: 'a namespaced object', denial: { namespace: 'products-prod', name: 'web-7f9c8d6b5-*' }, text: 'Pod products-prod/web-7f9c8d6b5-*' },
    { name: 'a Namespace names itself, not its namespace twice', denial: { kind: 'Namespace', namespace: 'scratch', name: 'scratch' }, text: 'Namespace scratch' },
    { name: 'through a subresource', denial: { kind: 'Namespace', subResource: 'finalize', namespace: 'scratch', name: 'scratch' }, text: 'Namespace/finalize scratch' },
    { name: 'no name recorded', denial: { namespace: 'products-prod' }, text: 'Pod products-prod/(unnamed)' },
  ];
  for (const c of cases) t.equal(describeObject({ ...denial, ...c.denial }), c.text, c.name);
});
