/**
 * `npm run demo` end to end, as a user runs it: demo/seed.ts against a real etcd,
 * kube-apiserver and kube-controller-manager with the webhook. Checks that the demo shows the
 * seed's matrix on 8080 / 8081 / 8082 from the live cluster and finds it matches the intent,
 * exits 0, and leaves nothing behind: its directory is gone and none of its processes runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { repoRoot } from '../../harness/control-plane.ts';

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the demo; `onOutput` sees stdout so far and may signal the child. */
function runDemo(onOutput: (stdout: string, child: ChildProcess) => void = () => {}): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['demo/seed.ts'], { cwd: repoRoot, env: { ...process.env, NETPOL_HYGIENE_CONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onOutput(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Upstream's truth-table layout: rows from, columns to; the DNS stand-in is a source from another namespace. */
function table(port: number, rows: Record<string, string>): string[] {
  const names = ['products-prod/ui', 'products-prod/business', 'products-prod/db', 'products-stage/ui', 'products-stage/business', 'products-stage/db'];
  const width = 'products-stage/business'.length;
  return [
    `TCP/${port}: rows from, columns to; . allowed, X denied`,
    [''.padEnd(width), ...names.map((n) => n.padEnd(width))].join(' ').trimEnd(),
    ...[...names, 'kube-system/coredns'].map((from) => [from.padEnd(width), ...[...(rows[from] ?? '')].map((c) => c.padEnd(width))].join(' ').trimEnd()),
    `ok   TCP/${port} matches the seed's intent`,
  ];
}

const everyone = { 'products-prod/ui': '', 'products-prod/business': '', 'products-prod/db': '', 'products-stage/ui': '', 'products-stage/business': '', 'products-stage/db': '', 'kube-system/coredns': '' };
const rows = (cells: Partial<Record<keyof typeof everyone, string>>, otherwise: string): Record<string, string> =>
  Object.fromEntries(Object.keys(everyone).map((from) => [from, cells[from as keyof typeof everyone] ?? otherwise]));

const expectedMatrix = [
  '== Who can reach whom on 8080 / 8081 / 8082 (reachability engine, live cluster read-only), against the seed\'s intent',
  // UI from anywhere.
  ...table(8080, rows({}, '.XX.XX')),
  // Business only from the UI of its own namespace.
  ...table(8081, rows({ 'products-prod/ui': 'X.XXXX', 'products-stage/ui': 'XXXX.X' }, 'XXXXXX')),
  // DB only from business; prod's DB also from products-stage's business.
  ...table(8082, rows({ 'products-prod/business': 'XX.XXX', 'products-stage/business': 'XX.XX.' }, 'XXXXXX')),
  'ok   every workload reaches DNS (kube-system/coredns) on UDP/53 and TCP/53',
  'ok   the DB tier\'s egress stays inside the cluster: 203.0.113.10:443 denied, other namespaces\' pods allowed',
  'ok   from 203.0.113.10 (outside the cluster) only the UI tier is reachable',
].map((text) => (text.startsWith('==') ? text : `   ${text}`));

t.test('the demo shows the seed\'s matrix from the live cluster, matches the intent, and cleans up', async (t) => {
  const run = await runDemo();
  t.equal(run.code, 0, `the demo exits 0\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  const lines = run.stdout.split('\n');
  const start = lines.indexOf(expectedMatrix[0] as string);
  t.not(start, -1, 'the matrix section is printed');
  t.same(lines.slice(start, start + expectedMatrix.length), expectedMatrix);
  t.notMatch(run.stdout, /^ {3}FAIL /m, 'nothing failed');
  t.match(run.stdout, /== Everything behaved as designed\n/);
  const where = /files in (\S+); pids: etcd (\d+), kube-apiserver (\d+), kube-controller-manager (\d+), netpol-hygiene (\d+)/.exec(run.stdout);
  assertCleanedUp(t, run.stdout);
});

t.test('Ctrl-C in the middle of the demo stops everything it started and removes its files', async (t) => {
  let signalled = false;
  const run = await runDemo((stdout, child) => {
    if (signalled || !stdout.includes('\n== Namespaces')) return;
    signalled = true;
    child.kill('SIGINT');
  });
  t.equal(run.code, 130, `exit 130 after SIGINT\n${run.stderr.slice(-2000)}`);
  assertCleanedUp(t, run.stdout);
});

/** The directory and pids the demo printed: gone once it has exited. */
function assertCleanedUp(t: Test, stdout: string): void {
  const where = /files in (\S+); pids: etcd (\d+), kube-apiserver (\d+), kube-controller-manager (\d+), netpol-hygiene (\d+)/.exec(stdout);
  t.ok(where, 'the demo says where its files and processes are');
  if (where === null) return;
  t.notOk(existsSync(where[1] as string), `its directory ${where[1]} is removed`);
  for (const pid of where.slice(2).map(Number)) t.notOk(isRunning(pid), `pid ${pid} has exited`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
