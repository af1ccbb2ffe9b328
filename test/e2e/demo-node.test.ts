/**
 * `npm run demo -- --node --keep`, as a user runs it: the seed's pods run on a real node, the
 * demo shows the matrix from real packets agreeing with the seed and the engine, leaves the
 * cluster up with KUBECONFIG printed (the pods are there, Running on the node), and Ctrl-C
 * stops it leaving nothing on the host.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { findControlPlaneBinaries, repoRoot } from '../../harness/control-plane.ts';
import { NODE_NAME } from '../../harness/node/layout.ts';
import { runCommand } from '../../harness/processes.ts';

t.test('the demo on a real node: real packets agree with the seed and the engine; --keep leaves it up until Ctrl-C', async (t) => {
  const kubectl = join(await findControlPlaneBinaries(), 'kubectl');
  let podsOnNode: string[] = [];
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['demo/seed.ts', '--node', '--keep'], { cwd: repoRoot, env: { ...process.env, NETPOL_HYGIENE_CONFIG: '' } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const kubeconfig = /^KUBECONFIG=(\S+)$/m.exec(stdout)?.[1];
      if (kubeconfig === undefined || signalled) return;
      signalled = true;
      void runCommand(kubectl, [`--kubeconfig=${kubeconfig}`, 'get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.labels.app}{.metadata.labels.k8s-app} {.spec.nodeName} {.status.phase}{"\\n"}{end}']).then((result) => {
        podsOnNode = result.stdout.split('\n').filter(Boolean).sort();
        child.kill('SIGINT');
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.ok(run.code === 0 || run.code === 130, 'the demo exits 0 (or 130, Ctrl-C) after the signal', { code: run.code, stdout: run.stdout.slice(-3000), stderr: run.stderr.slice(-3000) });
  for (const port of [8080, 8081, 8082]) t.match(run.stdout, `\n   ok   TCP/${port}: intent, engine and packets agree\n`);
  t.match(run.stdout, '\n   ok   DNS: engine, packets and the seed agree\n');
  t.notMatch(run.stdout, /^ {3}FAIL /m, 'nothing failed');
  t.match(run.stdout, /== Everything behaved as designed\n/);
  t.strictSame(
    podsOnNode,
    [
      `kube-system/kube-dns ${NODE_NAME} Running`,
      ...['products-prod', 'products-stage'].flatMap((ns) => ['business', 'db', 'ui'].map((app) => `${ns}/${app} ${NODE_NAME} Running`)),
    ].sort(),
    'while kept, the seed\'s pods run on the node',
  );
  // What the node's stop() found on the host after its cleanup, under the node lock.
  t.match(run.stdout, /^ {3}node cleanup: removed bridge nph0$/m, 'Ctrl-C removed the node from the host');
  t.notMatch(run.stdout, /left behind/, 'and nothing of it is left');
});
