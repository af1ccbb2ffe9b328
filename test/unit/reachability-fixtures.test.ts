// The fixtures refuse names they do not know: a mistyped pod must fail the test that names it,
// not turn into an outside address that nothing allows (which every `allowed: false` would pass).
import t from 'tap';
import { allowed, inNamespace, is, pod, upstreamPod, upstreamWorld } from './reachability-fixtures.ts';
import { buildWorld } from '../../src/reachability/world.ts';

t.test('an endpoint is a pod of the world or an IP address, nothing else', async (t) => {
  const world = buildWorld({ namespaces: [{ name: 'default', labels: {} }], pods: [pod('default/db', { app: 'db' })], policies: [] });
  t.equal(allowed(world, '203.0.113.1', 'default/db'), true, 'an outside address, and a pod');
  t.throws(() => allowed(world, 'default/bd', 'default/db'), new Error('"default/bd" is neither a pod of this world (default/db) nor an IP address'));
  t.throws(() => allowed(world, 'default/db', 'outside'), new Error('"outside" is neither a pod of this world (default/db) nor an IP address'));
});

t.test("upstream's pods and namespaces are x, y, z and a, b, c", async (t) => {
  t.equal(upstreamWorld([]).pods.length, 9);
  t.equal(is('y/c')(upstreamPod('y', 'c')), true);
  t.throws(() => is('y/d'), new Error(`"y/d" is not one of upstream's pods (x, y, z / a, b, c)`));
  t.throws(() => is('w/a'), new Error(`"w/a" is not one of upstream's pods (x, y, z / a, b, c)`));
  t.throws(() => inNamespace('w'), new Error(`"w" is not one of upstream's namespaces (x, y, z)`));
  t.throws(() => upstreamPod('x', 'd'), new Error(`"x/d" is not one of upstream's pods (x, y, z / a, b, c)`));
});
