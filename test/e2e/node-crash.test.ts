// A run killed outright (SIGKILL: no handler runs) leaves a node's containers, mounts, bridge,
// chains and changed sysctls on the host; `npm run node:cleanup` removes all of it.
import t from 'tap';
import { repoRoot } from '../../harness/control-plane.ts';
import { nodeLayout } from '../../harness/node/layout.ts';
import { runCommand } from '../../harness/processes.ts';

/**
 * The whole crash, from a node's start to the cleanup after it, under one hold of the node lock
 * (taken by bash on fd 9, closed for everything it starts): another node on this machine cannot
 * start in between and clean up first.
 */
const script = `
set -u
exec 9>"$LOCK"
flock 9
export NETPOL_HYGIENE_NODE_LOCK_HELD="$LOCK"
out=$(mktemp)
"$NODE" test/fixtures/node-child.ts 9>&- >"$out" 2>&1 &
child=$!
until grep -q '^node ready$' "$out"; do
  kill -0 "$child" 2>/dev/null || { echo "the child exited before its node was ready:"; cat "$out"; rm -f "$out"; exit 3; }
  sleep 0.5
done
kill -KILL "$child"
wait "$child" 2>/dev/null
rm -f "$out"
"$NODE" harness/node/cleanup-cli.ts 9>&-
`;

t.test('after a SIGKILL mid-run, npm run node:cleanup leaves nothing of the node on the host', async (t) => {
  const cleanup = await runCommand('bash', ['-c', script], {
    cwd: repoRoot,
    env: { LOCK: nodeLayout().lockPath, NODE: process.execPath },
    timeoutMs: 600_000,
  });
  t.match(cleanup.stdout, /^node cleanup: killed \d+ \(.*containerd-shim-runc-v2/m, 'the killed run left its containers running');
  t.match(cleanup.stdout, /^node cleanup: unmounted \d+ mounts$/m, 'and mounts');
  t.match(cleanup.stdout, /^node cleanup: removed bridge nph0$/m, 'and the bridge');
  t.match(cleanup.stdout, /^node cleanup: iptables-nft: removed chains .*filter\/KUBE-ROUTER-FORWARD/m, 'and kube-router\'s chains');
  t.match(cleanup.stdout, /^node cleanup: sysctl kernel.panic_on_oops 1 -> 0$/m, 'and the kubelet\'s sysctls');
  t.notMatch(cleanup.stdout, /left behind/);
  t.equal(cleanup.code, 0, 'nothing of the node is left');
});
