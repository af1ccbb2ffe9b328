// `report --cluster` arguments: where the posture is read from, and flags that mean nothing without it.
import t from 'tap';
import { parseReportOptions } from '../../src/cli/report-options.ts';

const now = Date.parse('2026-11-30T12:00:00Z');

t.test('--cluster with its kubeconfig, context and config', async (t) => {
  const parsed = parseReportOptions(['--cluster', '--kubeconfig', 'k.yaml', '--context', 'prod', '--config', 'c.yaml', '-o', 'html'], now);
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.strictSame(parsed.options.cluster, { kubeconfig: 'k.yaml', context: 'prod', config: 'c.yaml' });
  t.strictSame(parsed.options.inputs, [], 'no audit log: the posture alone');
  t.equal(parsed.options.format, 'html');
});

t.test('--cluster alone: $KUBECONFIG or in-cluster, the built-in or NETPOL_HYGIENE_CONFIG config', async (t) => {
  const parsed = parseReportOptions(['--cluster', 'audit.log'], now);
  t.strictSame(parsed.ok && parsed.options.cluster, {});
  t.strictSame(parsed.ok && parsed.options.inputs, ['audit.log'], 'with an audit log too');
});

t.test('without --cluster there is no posture, and its flags are refused', async (t) => {
  const plain = parseReportOptions(['audit.log'], now);
  t.equal(plain.ok && plain.options.cluster, undefined);
  t.strictSame(parseReportOptions(['--kubeconfig', 'k.yaml', '--context', 'prod'], now), { ok: false, error: '--kubeconfig, --context only with --cluster' });
  t.strictSame(parseReportOptions(['--config', 'c.yaml'], now), { ok: false, error: '--config only with --cluster' });
});
