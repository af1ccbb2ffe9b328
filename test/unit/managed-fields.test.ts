import { deepStrictEqual } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { withoutManagedFields as withoutManagedFieldsInBody } from '../../src/http/managed-fields.ts';

const withoutManagedFields = (text: string): string => withoutManagedFieldsInBody(Buffer.from(text));

/** An array the shape guard would not need to see: no escapes, no prototype keys, not too deep. */
const ordinary = (array: unknown[]): boolean => !/\\u|__proto__|constructor/.test(JSON.stringify(array));

/** What JSON.parse of the emptied text must give: every ordinary managedFields array emptied, nothing else touched. */
function emptied(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(emptied);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, key === 'managedFields' && Array.isArray(child) && ordinary(child) ? [] : emptied(child)]));
}

t.test("a pod's managedFields are emptied in place, the rest of the text is unchanged", async (t) => {
  const managed = '[{"manager":"kube-controller-manager","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{}}}}}}]';
  const text = `{"request":{"uid":"u1","object":{"metadata":{"name":"web","labels":{"app":"web"},"managedFields":${managed}},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}}}`;
  t.equal(
    withoutManagedFields(text),
    '{"request":{"uid":"u1","object":{"metadata":{"name":"web","labels":{"app":"web"},"managedFields":[]},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}}}',
  );
});

t.test('both objects of an UPDATE, at any position in their metadata and with whitespace around the colon', async (t) => {
  const text = '{"object":{"metadata":{"managedFields" : [ {"manager":"a"} ] ,"name":"x"}},\n"oldObject":{"metadata":{"name":"x",\n  "managedFields":\n[{"manager":"b"}]}}}';
  t.equal(withoutManagedFields(text), '{"object":{"metadata":{"managedFields" : [] ,"name":"x"}},\n"oldObject":{"metadata":{"name":"x",\n  "managedFields":\n[]}}}');
});

t.test('the body is cut as bytes between characters: multi-byte UTF-8 around and inside it survives', async (t) => {
  t.equal(withoutManagedFields('{"a":"é","managedFields":["€",{"k:{\\"x\\":\\"😀\\"}":{}}],"b":"😀"}'), '{"a":"é","managedFields":[],"b":"😀"}');
});

t.test('text that only mentions managedFields is returned as it is', async (t) => {
  const cases = {
    'no managedFields at all': '{"metadata":{"name":"x"}}',
    'inside a string value': '{"annotations":{"note":"\\"managedFields\\":[1,2]"}}',
    'as an array element': '{"list":["managedFields",["x"]]}',
    'as a value, not a key': '{"field":"managedFields","other":[1]}',
    'with a value that is not an array': '{"managedFields":null,"b":{"managedFields":{"a":[1]}}}',
    'an array that never closes (truncated body)': '{"metadata":{"managedFields":[{"manager":"a"',
    'a string inside it that never closes': '{"metadata":{"managedFields":[{"manager":"a}]}}',
    'a key without its colon': '{"metadata":{"managedFields":[{"manager" "a"}]}}',
    'a colon changed in transit': '{"metadata":{"managedFields":[{"manager";"a"}]}}',
    'two strings without a comma': '{"metadata":{"managedFields":[{"manager":"a" "operation":"b"}]}}',
  };
  for (const [name, text] of Object.entries(cases)) t.equal(withoutManagedFields(text), text, name);
});

t.test('a key after a string ending in escaped backslashes is still found; an escaped quote is not a key', async (t) => {
  t.equal(withoutManagedFields('{"a":"x\\\\","managedFields":[1]}'), '{"a":"x\\\\","managedFields":[]}');
  t.equal(withoutManagedFields('{"a":"x\\"managedFields\\":[1]"}'), '{"a":"x\\"managedFields\\":[1]"}');
  t.equal(withoutManagedFields('{"managedFields":["a\\\\\\"]","b]"],"c":1}'), '{"managedFields":[],"c":1}', 'quotes and brackets inside its strings');
});

t.test('managedFields the shape guard must see are left in the text for it', async (t) => {
  const nested = (depth: number): string => `{"managedFields":${'['.repeat(depth)}${']'.repeat(depth)},"name":"x"}`;
  t.equal(withoutManagedFields(nested(32)), '{"managedFields":[],"name":"x"}', '32 levels, deeper than real ones get, are skipped');
  t.equal(withoutManagedFields(nested(33)), nested(33), '33 levels are not');
  t.equal(withoutManagedFields(nested(200_000)), nested(200_000), 'nor 200,000, and counting them does not recurse');
  const cases = {
    __proto__: '{"managedFields":[{"fieldsV1":{"__proto__":{}}}]}',
    constructor: '{"managedFields":[{"constructor":{"prototype":{}}}]}',
    'a \\u escape, which could spell either': '{"managedFields":[{"fieldsV1":{"\\u005f_proto__":{}}}]}',
  };
  for (const [name, text] of Object.entries(cases)) t.equal(withoutManagedFields(text), text, name);
});

t.test('property: any JSON with managedFields members parses as before, with those arrays emptied', async (t) => {
  const managedFields = fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 });
  // Objects that may carry a managedFields member anywhere, beside keys that quote and escape.
  const tricky = fc.constantFrom('managedFields', '"managedFields"', 'a\\', '\\"', '{[', 'k:{"name":"x"}', '"managedFields":[', 'constructor', '\u0001', 'é€😀');
  const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), tricky, tie('node'), fc.array(tie('tree'), { maxLength: 3 })),
    node: fc
      .record({ members: fc.dictionary(fc.oneof(fc.string(), tricky), tie('tree'), { maxKeys: 3 }), managed: fc.option(managedFields) })
      .map(({ members, managed }) => (managed === null ? members : { ...members, managedFields: managed })),
  }));
  fc.assert(
    fc.property(tree, fc.constantFrom(undefined, 2, '\t'), (value, indent) => {
      const text = JSON.stringify(value, null, indent);
      deepStrictEqual(JSON.parse(withoutManagedFields(text)), emptied(JSON.parse(text)));
    }),
    { numRuns: 500 },
  );
  t.pass('500 random documents, compact and indented');
});

t.test('every single-byte change to a real managedFields: what JSON.parse accepts is read the same, never refused', async (t) => {
  const review = JSON.stringify(JSON.parse(readFileSync(new URL('../fixtures/pod-from-deployment.json', import.meta.url), 'utf8')));
  const start = review.indexOf('"managedFields":') + '"managedFields":'.length;
  const end = start + JSON.stringify((JSON.parse(review) as { request: { object: { metadata: { managedFields: unknown[] } } } }).request.object.metadata.managedFields).length;
  let accepted = 0;
  for (let i = start; i < end; i++) {
    for (const replacement of ':,{}[]" x\\0') {
      const changed = review.slice(0, i) + replacement + review.slice(i + 1);
      let expected: unknown;
      try {
        expected = emptied(JSON.parse(changed));
      } catch {
        continue;
      }
      accepted++;
      deepStrictEqual(JSON.parse(withoutManagedFields(changed)), expected);
    }
  }
  t.ok(accepted > 1000, `${accepted} changed reviews JSON.parse accepts, each read as it reads them, managedFields emptied`);
});
