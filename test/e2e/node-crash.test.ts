// A run killed outright (SIGKILL: no handler runs) leaves a node's containers, mounts, bridge,
// chains and changed sysctls on the host; `npm run node:cleanup` removes all of it.
import { spawn } from 'node:child_process';
import t from 'tap';
import { repoRoot } from '../../harness/control-plane.ts';
import { runCommand } from '../../harness/processes.ts';

t.test('after a SIGKILL mid-run, npm run node:cleanup leaves nothing of the node on the host', async (t) => {
  const child = spawn(process.execPath, ['test/fixtures/node-child.ts'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('node ready')) resolve();
    });
    child.on('close', (code) => reject(new Error(`the child exited (${code}) before its node was ready:\n${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
  // The cleanup looks for traces before it releases the node lock: another node on this machine
  // may start the moment it does. (One started in the instant after the kill would clean up
  // first, and this test would see nothing to remove.)
  const cleanup = await runCommand(process.execPath, ['harness/node/cleanup-cli.ts'], { cwd: repoRoot, timeoutMs: 300_000 });
  t.match(cleanup.stdout, /^node cleanup: killed \d+ \(.*containerd-shim-runc-v2/m, 'the killed run left its containers running');
  t.match(cleanup.stdout, /^node cleanup: unmounted \d+ mounts$/m, 'and mounts');
  t.match(cleanup.stdout, /^node cleanup: removed bridge nph0$/m, 'and the bridge');
  t.match(cleanup.stdout, /^node cleanup: iptables-nft: removed chains .*filter\/KUBE-ROUTER-FORWARD/m, 'and kube-router\'s chains');
  t.match(cleanup.stdout, /^node cleanup: sysctl kernel.panic_on_oops 1 -> 0$/m, 'and the kubelet\'s sysctls');
  t.notMatch(cleanup.stdout, /left behind/);
  t.equal(cleanup.code, 0, 'nothing of the node is left');
});
