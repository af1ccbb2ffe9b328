// --since / --until: RFC 3339 or a duration back from now.
import t from 'tap';
import { parseTimeSpec } from '../../src/report/time-spec.ts';

const now = Date.parse('2026-11-30T12:00:00Z');

t.test('accepted forms', async (t) => {
  const cases = [
    { text: '2026-11-30T08:00:00Z', at: '2026-11-30T08:00:00.000Z' },
    { text: '2026-11-30T08:00:00.250Z', at: '2026-11-30T08:00:00.250Z' },
    { text: '2026-11-30T09:00:00+01:00', at: '2026-11-30T08:00:00.000Z' },
    { text: '2026-11-30 08:00:00z', at: '2026-11-30T08:00:00.000Z' },
    { text: '90s', at: '2026-11-30T11:58:30.000Z' },
    { text: '15m', at: '2026-11-30T11:45:00.000Z' },
    { text: '1h30m', at: '2026-11-30T10:30:00.000Z' },
    { text: '7d', at: '2026-11-23T12:00:00.000Z' },
  ];
  for (const c of cases) {
    const spec = parseTimeSpec(c.text, now);
    t.equal(spec.ok ? new Date(spec.epochMs).toISOString() : spec.error, c.at, c.text);
  }
});

t.test('refused forms name both accepted ones', async (t) => {
  for (const text of ['yesterday', '1 hour', '2026-11-30', '2026-11-30T08:00:00', '1.5h', '-1h', '']) {
    t.strictSame(
      parseTimeSpec(text, now),
      { ok: false, error: `"${text}" is neither an RFC 3339 time (2026-11-30T16:00:00Z) nor a duration (90s, 15m, 1h30m, 7d)` },
      JSON.stringify(text),
    );
  }
});
