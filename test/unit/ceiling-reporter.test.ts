// Issue 9 item 3: policies already above the ceiling are reported (audit record + Event), never deleted.
import t from 'tap';
import { CeilingReporter } from '../../src/cluster/ceiling-reporter.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { defaultConfig, managedDefaultDeny, networkPolicy, recordingAudit } from './helpers.ts';

const openDb = (port: number): NetworkPolicy => networkPolicy('open-db', { podSelector: { matchLabels: { tier: 'db' } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port }] }] });
const narrow = networkPolicy('db-in', { podSelector: { matchLabels: { tier: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'business' } } }], ports: [{ port: 8082 }] }] });
const managedAllowAll = networkPolicy('allow-all', { podSelector: {}, ingress: [{}] }, { 'app.kubernetes.io/managed-by': 'netpol-hygiene' });

const message = (port: number): string =>
  `NP-CEILING: NetworkPolicy "open-db" in namespace "products-prod" would allow ingress to tier=db pods from any pod in any namespace on port ${port}; ` +
  'profile "seed" allows ingress to tier=db only from tier=business in products-prod; narrow spec.ingress[0].from, or ask a member of system:masters';

t.test('reported once per policy and message, again when it changes or comes back', async (t) => {
  let policies: NetworkPolicy[] = [openDb(8082), narrow, managedDefaultDeny, managedAllowAll];
  const audit = recordingAudit();
  const events: string[] = [];
  const reporter = new CeilingReporter({
    config: defaultConfig,
    cache: { namespaces: { get: () => ({ name: 'products-prod', labels: { 'netpol-hygiene.io/profile': 'seed' }, terminating: false }) }, policies: { list: () => policies } },
    audit,
    events: { recordEvent: async (namespace, reason, text) => void events.push(`${namespace} ${reason} ${text}`) },
  });
  t.strictSame(reporter.check('products-prod', 'start-up backfill'), ['open-db'], 'the wide one; not the narrow one, not the managed ones');
  t.strictSame(audit.records, [
    { event: 'repair', namespace: 'products-prod', action: 'above-ceiling', policies: ['open-db'], trigger: 'start-up backfill', message: `existing policy reported, not changed: ${message(8082)}` },
  ]);
  t.strictSame(events, [`products-prod NetworkPolicyAboveCeiling ${message(8082)}`]);
  t.strictSame(reporter.check('products-prod', 'periodic resync'), [], 'not again while nothing changes');
  policies = [openDb(9000)];
  t.strictSame(reporter.check('products-prod', 'periodic resync'), ['open-db'], 'again when what is beyond the ceiling changes');
  policies = [];
  t.strictSame(reporter.check('products-prod', 'periodic resync'), []);
  policies = [openDb(9000)];
  t.strictSame(reporter.check('products-prod', 'periodic resync'), ['open-db'], 'again after it was gone');
  t.equal(reporter.count(), 1, 'one policy above the ceiling now');
  policies = [narrow];
  reporter.check('products-prod', 'periodic resync');
  t.equal(reporter.count(), 0, 'none once it is narrowed');
  t.equal(audit.records.length, 3);
  t.equal(events.length, 3);
});
