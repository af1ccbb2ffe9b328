import t from 'tap';
import { describePorts, diffConnections, portRuns } from '../../src/reachability/diff.ts';
import { buildWorld } from '../../src/reachability/world.ts';
import { pod, policy } from './reachability-fixtures.ts';

const pods = [pod('x/a', { app: 'a' }, { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }), pod('x/b', { app: 'b' })];

t.test('port runs: boundaries where a port or range starts, after it ends, and at container ports', async (t) => {
  const world = buildWorld({ pods, policies: [policy('x/p', { podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 1000, endPort: 2000 }, { port: 53, protocol: 'UDP' }, { port: 65535 }] }] })] });
  t.same(portRuns([world], 'TCP'), [[1, 79], [80, 80], [81, 999], [1000, 2000], [2001, 8079], [8080, 8080], [8081, 65534], [65535, 65535]]);
  t.same(portRuns([world], 'UDP'), [[1, 52], [53, 53], [54, 65535]]);
  t.same(portRuns([], 'SCTP'), [[1, 65535]]);
});

t.test('diff: a change from a named port to a range, per run, with adjacent runs joined', async (t) => {
  const before = buildWorld({ pods, policies: [policy('x/p', { podSelector: { matchLabels: { app: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 'http' }] }] })] });
  const after = buildWorld({ pods, policies: [policy('x/p', { podSelector: { matchLabels: { app: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 8000, endPort: 9000 }] }] })] });
  const diff = diffConnections(before, after, 'TCP', portRuns([before, after], 'TCP'));
  t.same(diff, {
    added: [{ from: 'x/b', to: 'x/a', protocol: 'TCP', ports: [[8000, 8079], [8081, 9000]] }],
    removed: [],
  }, '8080 was allowed before (http) and still is');
  t.equal(describePorts([[1, 65535]]), 'all ports');
  t.equal(describePorts([[8000, 8079], [8081, 9000], [53, 53]]), '8000-8079, 8081-9000, 53');
  const gone = diffConnections(after, buildWorld({ pods, policies: [] }), 'UDP', portRuns([after], 'UDP'));
  t.same(gone.added.map((c) => `${c.from}->${c.to} ${describePorts(c.ports)}`), ['x/a->x/a all ports', 'x/b->x/a all ports'], 'dropping the policy opens x/a to everyone on UDP');
});
