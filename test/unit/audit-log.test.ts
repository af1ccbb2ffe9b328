// The audit log's promise: a slow sink never holds up a decision, and no record is lost when
// the process ends by SIGTERM or an uncaught exception. Each case runs audit-child.ts with
// its stdout on a pipe this test leaves unread (a container log pipe nobody drains), so the
// child's records sit in its buffer until the test reads.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { type AuditRecord, auditLine } from '../../src/audit/audit-log.ts';
import type { ChildCommand, ChildReport } from './audit-child.ts';

const childScript = new URL('./audit-child.ts', import.meta.url).pathname;
const records = 3000;

interface Child {
  readonly process: ChildProcess;
  /** The next report the child sends. */
  report(): Promise<ChildReport>;
  command(command: ChildCommand): void;
  /** Reads stdout (from now, or once the child has exited); resolves with it, stderr and how the child ended. */
  drainAndWait(options?: { afterExit: boolean }): Promise<{ stdout: string; stderr: string; code: number | null; signal: string | null }>;
}

/**
 * Starts audit-child.ts with stdout on an unread socket pair (as `spawn` and journald give) or
 * an unread FIFO (as containerd gives a container).
 */
function startChild(t: Test, args: string[], stdout: 'socket' | 'fifo' = 'socket'): Child {
  const fifo = stdout === 'fifo' ? openFifo(t) : undefined;
  const child = spawn(process.execPath, [childScript, '--records', String(records), ...args], { stdio: ['ignore', fifo?.writeFd ?? 'pipe', 'pipe', 'ipc'] });
  if (fifo !== undefined) closeSync(fifo.writeFd);
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const output = (): Readable => fifo?.reader() ?? (child.stdout as Readable);
  return {
    process: child,
    report: () =>
      new Promise((resolve, reject) => {
        child.once('message', (message) => resolve(message as ChildReport));
        void exited.then(({ code }) => reject(new Error(`the child exited (${code}) before reporting: ${stderr}`)));
      }),
    command: (command) => void child.send(command),
    async drainAndWait(options = { afterExit: false }) {
      let text = '';
      let ended: Promise<unknown> = Promise.resolve();
      const collect = (): void => {
        const stream = output();
        stream.on('data', (data: Buffer) => (text += data.toString()));
        ended = new Promise((resolve) => stream.on('end', resolve));
      };
      // In the exit listener itself: right after it, Node discards output nobody reads.
      if (options.afterExit) child.once('exit', collect);
      else collect();
      const { code, signal } = await exited;
      await ended;
      return { stdout: text, stderr, code, signal };
    },
  };
}

/** A FIFO in a temporary directory: its write end for the child, its read end opened but not read until asked. */
function openFifo(t: Test): { writeFd: number; reader(): Readable } {
  const dir = mkdtempSync(join(tmpdir(), 'audit-fifo-'));
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  let reader: Socket | undefined;
  t.teardown(() => {
    if (reader === undefined) closeSync(readFd);
    else reader.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { writeFd, reader: () => (reader ??= new Socket({ fd: readFd, readable: true, writable: false })) };
}

/** The namespace (or uid) of each complete audit line, in order; a torn last line is left out. */
function auditedNames(output: string): string[] {
  const lines = output.split('\n').slice(0, -1);
  return lines.map((line) => JSON.parse(line) as { audit?: boolean; namespace?: string; uid?: string }).filter((r) => r.audit === true).map((r) => r.uid ?? r.namespace ?? '');
}

const expected = Array.from({ length: records }, (_, i) => `record-${i}`);

/** The child has written its records and the unread pipe holds them up. */
async function stalled(t: Test, child: Child): Promise<void> {
  const report = await child.report();
  t.equal(report.type, 'written');
  const [stdout] = report.type === 'written' ? report.stats : [];
  t.ok(stdout !== undefined && stdout.bufferedRecords > 0, `records wait in the buffer behind the stalled pipe (${stdout?.bufferedRecords} of ${records})`);
}

function warnings(stderr: string): { msg: string; [key: string]: unknown }[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string });
}

for (const stdout of ['socket', 'fifo'] as const) {
  t.test(`records held up by a stalled stdout (${stdout}) are all written when SIGTERM ends the process, and the file gets them too`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'audit', 'audit.jsonl');
    const child = startChild(t, ['--file', file], stdout);
    await stalled(t, child);
    child.process.kill('SIGTERM');
    const ended = await child.drainAndWait();
    t.equal(ended.code, 0);
    t.same(auditedNames(ended.stdout), expected, 'every record on stdout, in order');
    t.same(auditedNames(readFileSync(file, 'utf8')), expected, 'every record in audit.file, in order');
    t.equal(ended.stderr, '', 'nothing to warn about');
  });
}

t.test('records held up by a stalled stdout are all written when an uncaught exception ends the process', async (t) => {
  const child = startChild(t, []);
  await stalled(t, child);
  child.command({ type: 'throw' });
  const ended = await child.drainAndWait();
  t.equal(ended.code, 1);
  t.match(ended.stderr, 'Error: boom in the audit child');
  t.same(auditedNames(ended.stdout), expected);
});

t.test('a stalled stdout does not hold up decisions: a timer fires while it is stalled, and it gets every record once read', async (t) => {
  const child = startChild(t, []);
  await stalled(t, child);
  child.command({ type: 'decide', count: 100 });
  const report = await child.report();
  if (report.type !== 'decided') throw new Error(`unexpected report ${report.type}`);
  t.same(report.allowed, Array(100).fill(true), 'all 100 decisions answered');
  t.ok(report.atTimer !== undefined && report.atTimer.bufferedRecords > 0, 'the timer fired while records still waited for the pipe');
  child.process.kill('SIGTERM');
  const ended = await child.drainAndWait();
  t.same(auditedNames(ended.stdout), [...expected, ...Array.from({ length: 100 }, (_, i) => `decision-${i}`)]);
});

t.test('a full buffer makes writes wait for the sink rather than drop records, and says so on stderr', async (t) => {
  const child = startChild(t, ['--max-buffered-bytes', '65536']);
  const drained = child.drainAndWait();
  const report = await child.report();
  const [stdout] = report.type === 'written' ? report.stats : [];
  t.ok(stdout !== undefined && stdout.fullBufferWaits > 0, `writes waited ${stdout?.fullBufferWaits} times`);
  t.equal(stdout?.droppedRecords, 0);
  child.process.kill('SIGTERM');
  const ended = await drained;
  t.same(auditedNames(ended.stdout), expected);
  const [first] = warnings(ended.stderr);
  t.match(first, { level: 40, component: 'netpol-hygiene', sink: 'stdout', msg: 'audit buffer full: admission waits until the sink takes the backlog' });
});

t.test('at exit, a sink that takes nothing for the stall timeout is given up: the records lost are counted and logged', async (t) => {
  const child = startChild(t, ['--stall-timeout-ms', '300']);
  await stalled(t, child);
  child.process.kill('SIGTERM');
  const ended = await child.drainAndWait({ afterExit: true });
  t.equal(ended.code, 0, 'the process still exits');
  const written = auditedNames(ended.stdout);
  t.same(written, expected.slice(0, written.length), 'what was written is whole and in order');
  const dropped = warnings(ended.stderr).filter((w) => w.msg === 'audit records dropped');
  t.equal(dropped.length, 1);
  t.match(dropped[0], { level: 40, sink: 'stdout', droppedRecords: records - written.length, droppedTotal: records - written.length, reason: 'the sink took nothing for 300 ms' });
});

t.test('a record is written while the process keeps running, without waiting for more records or for exit', async (t) => {
  const child = startChild(t, ['--records', '1']);
  const line = await new Promise<string>((resolve) => {
    let text = '';
    child.process.stdout?.on('data', (data: Buffer) => {
      text += data.toString();
      if (text.endsWith('\n')) resolve(text);
    });
  });
  t.same(auditedNames(line), ['record-0']);
  t.equal(child.process.exitCode, null, 'still running');
});

t.test('operational log lines share the stdout writer: behind a stalled pipe, every line arrives whole and in order', async (t) => {
  const child = startChild(t, ['--operational-every', '100']);
  await stalled(t, child);
  child.process.kill('SIGTERM');
  const ended = await child.drainAndWait();
  const lines = ended.stdout.split('\n').slice(0, -1).map((line) => JSON.parse(line) as { audit?: boolean; namespace?: string; after?: string });
  const expectedLines = expected.flatMap((name, i) => (i % 100 === 0 ? [name, `after ${name}`] : [name]));
  t.same(lines.map((line) => (line.audit === true ? line.namespace : `after ${line.after}`)), expectedLines);
});

t.test('an audit line is byte for byte what pino wrote for the record, so log pipelines parse it as before', (t) => {
  const records: AuditRecord[] = [
    {
      event: 'admission', webhook: 'mutate', uid: '0df28fbd-5f5f-11e8-bc74-36e6bb280816', operation: 'CREATE', kind: 'Pod', namespace: 'products-prod', name: 'web-7f9c8d6b5-*',
      user: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'], dryRun: false, mode: 'enforce', decision: 'patched', code: 200,
      rules: ['POD-TIER'], patch: [{ op: 'add', path: '/metadata/labels/tier', value: 'ui' }], latencyMs: 0.123,
    },
    { event: 'repair', namespace: 'team "a"\n', action: 'created', policies: ['default-deny'], trigger: 'reconcile', message: 'naïve ✓ \u0001' },
  ];
  for (const record of records) {
    let written = '';
    pino({ base: { audit: true }, messageKey: 'summary', timestamp: () => ',"time":1700000000000' }, { write: (line: string) => (written = line) }).info(record);
    t.equal(auditLine(record, 1700000000000), written, record.event);
  }
  t.end();
});
