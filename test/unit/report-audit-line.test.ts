// parseAuditLine: an audit record, or why a line of the webhook's stdout is not one.
import t from 'tap';
import { namespaceOf, parseAuditLine } from '../../src/report/audit-line.ts';

const record =
  '{"level":30,"time":1796027733004,"audit":true,"event":"admission","webhook":"validate","uid":"7c1e0050-2b4f-4c1a-9d3e-5f60a1b2c3d4","operation":"CREATE","kind":"Pod","namespace":"products-prod","name":"cache-0","user":"system:serviceaccount:ci:deployer","groups":["system:authenticated"],"dryRun":false,"mode":"enforce","decision":"denied","code":403,"rules":["POD-TIER"],"message":"POD-TIER: pod \\"cache-0\\" in namespace \\"products-prod\\" has label tier=frontend, which is not one of ui, business, db; set label tier=<ui|business|db>","latencyMs":0.41}';
const parsed = {
  event: 'admission',
  time: 1796027733004,
  source: undefined,
  kind: 'Pod',
  subResource: undefined,
  operation: 'CREATE',
  namespace: 'products-prod',
  name: 'cache-0',
  user: 'system:serviceaccount:ci:deployer',
  mode: 'enforce',
  decision: 'denied',
  code: 403,
  rules: ['POD-TIER'],
  dryRun: false,
  message: 'POD-TIER: pod "cache-0" in namespace "products-prod" has label tier=frontend, which is not one of ui, business, db; set label tier=<ui|business|db>',
};
const repair = '{"level":30,"time":1796025604100,"audit":true,"event":"repair","namespace":"legacy-batch","action":"apply-baseline","policies":["default-deny"],"trigger":"start-up backfill","message":"applied baseline policies default-deny to namespace \\"legacy-batch\\" (start-up backfill)"}';

t.test('audit records, bare or as kubectl logs prints them', async (t) => {
  const cases = [
    { name: 'the webhook stdout line', line: record, source: undefined },
    { name: 'kubectl logs --prefix', line: `[pod/netpol-hygiene-5d9c7b8f6-x2k4q/webhook] ${record}`, source: 'pod/netpol-hygiene-5d9c7b8f6-x2k4q' },
    { name: 'kubectl logs --prefix --timestamps', line: `[pod/netpol-hygiene-5d9c7b8f6-x2k4q/webhook] 2026-11-30T08:35:33.004123456Z ${record}`, source: 'pod/netpol-hygiene-5d9c7b8f6-x2k4q' },
    { name: 'kubectl logs --timestamps alone', line: `2026-11-30T08:35:33.004123456Z ${record}`, source: undefined },
    { name: 'a prefix without a container', line: `[pod/netpol-hygiene-5d9c7b8f6-x2k4q] ${record}`, source: 'pod/netpol-hygiene-5d9c7b8f6-x2k4q' },
    { name: 'CRLF line ending (logs copied from Windows)', line: `${record}\r`, source: undefined },
  ];
  for (const c of cases) t.strictSame(parseAuditLine(c.line), { type: 'record', record: { ...parsed, source: c.source } }, c.name);
});

t.test('a request through a subresource keeps it', async (t) => {
  const result = parseAuditLine(record.replace('"kind":"Pod",', '"kind":"Pod","subResource":"status",'));
  t.equal(result.type === 'record' && result.record.event === 'admission' ? result.record.subResource : 'not an admission record', 'status');
});

t.test('a repair record', async (t) => {
  t.strictSame(parseAuditLine(repair), {
    type: 'record',
    record: {
      event: 'repair',
      time: 1796025604100,
      source: undefined,
      namespace: 'legacy-batch',
      action: 'apply-baseline',
      policies: ['default-deny'],
      trigger: 'start-up backfill',
      message: 'applied baseline policies default-deny to namespace "legacy-batch" (start-up backfill)',
    },
  });
});

t.test('an RFC 3339 time (pino isoTime) is read as well as epoch milliseconds', async (t) => {
  const line = record.replace('"time":1796027733004', '"time":"2026-11-30T08:35:33.004Z"');
  const result = parseAuditLine(line);
  t.equal(result.type === 'record' ? result.record.time : undefined, 1796027733004);
});

t.test('lines that are not audit records, and why', async (t) => {
  const cases = [
    { name: 'empty', line: '', type: 'blank' },
    { name: 'only a prefix', line: '[pod/netpol-hygiene-5d9c7b8f6-x2k4q/webhook] ', type: 'blank' },
    { name: 'operational log', line: '{"level":30,"time":1796025600000,"component":"netpol-hygiene","msg":"netpol-hygiene webhook listening"}', type: 'operational' },
    { name: 'prefixed operational log', line: '[pod/a/webhook] {"level":40,"time":1796025600000,"msg":"namespaces watch failed; relisting"}', type: 'operational' },
    { name: 'audit mark not true', line: record.replace('"audit":true', '"audit":"yes"'), type: 'operational' },
    { name: 'node warning', line: '(node:1) Warning: Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to 0', type: 'notJson' },
    { name: 'truncated record', line: record.slice(0, 180), type: 'notJson' },
    { name: 'a JSON array', line: '[1,2,3]', type: 'notJson' },
    { name: 'unknown decision', line: record.replace('"decision":"denied"', '"decision":"maybe"'), type: 'malformed' },
    { name: 'no time', line: record.replace('"time":1796027733004,', ''), type: 'malformed' },
    { name: 'unparseable time', line: record.replace('"time":1796027733004', '"time":"yesterday"'), type: 'malformed' },
    { name: 'rules not a list', line: record.replace('"rules":["POD-TIER"]', '"rules":"POD-TIER"'), type: 'malformed' },
    { name: 'unknown event', line: record.replace('"event":"admission"', '"event":"drift"'), type: 'malformed' },
    { name: 'repair without message', line: repair.replace(/,"message":"[^}]*"/, ''), type: 'malformed' },
  ];
  for (const c of cases) t.strictSame(parseAuditLine(c.line), { type: c.type }, c.name);
});

t.test('a Namespace request is about the namespace it names', async (t) => {
  const namespaceCreate = record.replace('"kind":"Pod","namespace":"products-prod","name":"cache-0"', '"kind":"Namespace","name":"scratch"');
  const result = parseAuditLine(namespaceCreate);
  t.equal(result.type === 'record' ? namespaceOf(result.record) : 'not a record', 'scratch');
  const clusterScoped = parseAuditLine(record.replace('"namespace":"products-prod",', ''));
  t.equal(clusterScoped.type === 'record' ? namespaceOf(clusterScoped.record) : 'not a record', undefined);
});
