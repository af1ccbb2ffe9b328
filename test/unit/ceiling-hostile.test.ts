// Red-team F1–F4: one NetworkPolicy a developer can `kubectl apply` must not crash or freeze
// the webhook. Each hostile shape is refused as too large to judge, or judged with a message of
// a few KB; the reconciler's report of a stored one is as small. How long each takes is
// measured by `npm run bench` against its budget (bench/ceiling-judge.ts), not here.
import t from 'tap';
import { CeilingReporter } from '../../src/cluster/ceiling-reporter.ts';
import { defaultConfig, networkPolicy, recordingAudit } from './helpers.ts';
import { hostilePolicies, judge, range, tooLarge } from '../fixtures/ceiling-hostile-policies.ts';

t.test('each hostile shape is refused as too large or judged with a bounded message', async (t) => {
  for (const c of hostilePolicies) {
    const messages = judge(c);
    t.strictSame(messages, c.messages, c.name);
    t.ok(messages.join('\n').length < 4096, `${c.name}: a message of a few KB`);
  }
});

t.test('the reconciler reports a stored policy of 40,000 rules in one short message', async (t) => {
  const audit = recordingAudit();
  const events: string[] = [];
  const huge = networkPolicy('hostile', { podSelector: {}, ingress: range(40_000, () => ({})), egress: range(40_000, () => ({})) });
  const reporter = new CeilingReporter({
    config: defaultConfig,
    cache: { namespaces: { get: () => ({ name: 'products-prod', labels: { 'netpol-hygiene.io/profile': 'seed-prod' }, terminating: false }) }, policies: { list: () => [huge] } },
    audit,
    events: { recordEvent: async (_namespace, _reason, text) => void events.push(text) },
  });
  t.strictSame(reporter.check('products-prod', 'start-up backfill'), ['hostile']);
  t.strictSame(events, [tooLarge]);
});
