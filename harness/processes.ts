// Child processes of the e2e harness (etcd, kube-apiserver, kube-controller-manager, the webhook).
//
// Nothing here may outlive the test process. Two layers make sure of it:
//  1. a module-level registry of live children: on 'exit' every one gets SIGKILL, on SIGINT /
//     SIGTERM every one is stopped (SIGTERM, then SIGKILL) before the process exits 130 / 143;
//  2. for deaths no handler sees (SIGKILL of the test process, e.g. by a runner or the OOM
//     killer), a tiny bash watchdog holds the other end of a pipe and is told each child's pid;
//     when this process dies, for whatever reason, the pipe closes and the watchdog SIGKILLs
//     every pid still registered. (prctl PR_SET_PDEATHSIG via `setpriv --pdeathsig` would do the
//     same on Linux only, and only for the forking thread; the pipe works wherever bash does.)
// Children are never detached, so a terminal's Ctrl-C also reaches the whole process group.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { createServer } from 'node:net';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** File that receives the child's stderr (and stdout unless onStdoutLine is given). */
  readonly logPath: string;
  /** Resolves once the child has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  exitStatus(): ExitStatus | undefined;
  /** The last lines of the log file, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after graceMs. Idempotent. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logPath: string;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** When given, stdout is split into lines and handed here (and also copied to the log). */
  readonly onStdoutLine?: (line: string) => void;
}

const live = new Set<ManagedProcess>();
const transient = new Set<ChildProcess>();
const exitCleanups = new Set<() => void>();
const signalCleanups = new Set<() => Promise<unknown>>();
let handlersInstalled = false;
let watchdog: ChildProcess | undefined;

const WATCHDOG_SCRIPT = `
trap '' INT TERM HUP
declare -A pids dirs
while read -r op arg; do
  case "$op" in
    add) pids[$arg]=1 ;;
    del) unset "pids[$arg]" ;;
    rmdir) dirs[$arg]=1 ;;
    keepdir) unset "dirs[$arg]" ;;
  esac
done
for pid in "\${!pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
sleep 0.5
for dir in "\${!dirs[@]}"; do rm -rf -- "$dir"; done
exit 0
`;

export function spawnManaged(options: SpawnOptions): ManagedProcess {
  installHandlers();
  const log: WriteStream = createWriteStream(options.logPath, { flags: 'a' });
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: { ...childEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  if (child.pid === undefined) {
    // spawn() failed (ENOENT, EACCES); the 'error' event that follows must not go unhandled.
    child.on('error', () => {});
    log.end();
    throw new Error(`${options.name}: could not start ${options.command}`);
  }
  const pid = child.pid;
  tellWatchdog('add', pid);
  let status: ExitStatus | undefined;
  let stopping: Promise<ExitStatus> | undefined;

  child.stderr?.pipe(log, { end: false });
  if (options.onStdoutLine) {
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      log.write(chunk);
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.length > 0) options.onStdoutLine?.(line);
      }
    });
    child.stdout?.on('end', () => {
      if (buffered.length > 0) options.onStdoutLine?.(buffered);
      buffered = '';
    });
  } else {
    child.stdout?.pipe(log, { end: false });
  }

  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('error', (err) => {
      log.write(`\n[harness] ${options.name}: spawn error: ${err.message}\n`);
    });
    child.on('close', (code, signal) => {
      status = { code, signal };
      live.delete(managed);
      tellWatchdog('del', pid);
      log.end();
      resolve(status);
    });
  });

  const managed: ManagedProcess = {
    name: options.name,
    pid,
    child,
    logPath: options.logPath,
    exited,
    exitStatus: () => status,
    tail: (lines = 40) => tailFile(options.logPath, lines),
    stop(graceMs = 5000): Promise<ExitStatus> {
      if (status) return Promise.resolve(status);
      if (stopping) return stopping;
      stopping = (async () => {
        signal(child, 'SIGTERM');
        const timer = setTimeout(() => signal(child, 'SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      })();
      return stopping;
    },
  };
  live.add(managed);
  return managed;
}

/** A port that was free a moment ago (bind port 0 and release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Distinct free ports (a port released by freePort() could otherwise be handed out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export function tailFile(path: string, lines = 40): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '(no log)';
  }
}

/** Resident set size of a live process in KiB, from /proc (undefined when gone or not Linux). */
export function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a short-lived command to completion, capturing its output. It is killed on process exit
 * like the long-running children, and after timeoutMs (the result then has code 124, like
 * timeout(1), and a note on stderr).
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  installHandlers();
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...childEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    transient.add(child);
    if (child.pid !== undefined) tellWatchdog('add', child.pid);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let note = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      note = `\n[harness] ${command} timed out after ${options.timeoutMs}ms and was killed`;
      signal(child, 'SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', (err) => {
      note += `\n[harness] ${command}: ${err.message}`;
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      transient.delete(child);
      if (child.pid !== undefined) tellWatchdog('del', child.pid);
      if (sig && !timedOut) note += `\n[harness] ${command} killed by ${sig}`;
      resolve({
        code: timedOut ? 124 : (code ?? 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8') + note,
      });
    });
    child.stdin.on('error', () => {
      // EPIPE when the command exits without reading its input; the exit code tells the story.
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Removes dir when this process exits without cleaning up after itself: on 'exit' (after the
 * children got SIGKILL), and through the watchdog when this process is killed outright. Returns
 * a function that cancels this (call it once the dir has been removed or must be kept).
 */
export function removeDirOnExit(dir: string): () => void {
  installHandlers();
  if (/[\n\r]/.test(dir)) throw new Error(`unsupported dir name ${JSON.stringify(dir)}`);
  const cleanup = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  exitCleanups.add(cleanup);
  tellWatchdog('rmdir', dir);
  return () => {
    exitCleanups.delete(cleanup);
    tellWatchdog('keepdir', dir);
  };
}

/**
 * Runs cleanup (async, e.g. a node's host cleanup: mounts, iptables, sysctls) when SIGINT or
 * SIGTERM stops this process, before its children are stopped; the exit then waits up to 60 s
 * for it. Returns a function that cancels this (call it once cleanup has run).
 */
export function cleanupOnSignal(cleanup: () => Promise<unknown>): () => void {
  installHandlers();
  signalCleanups.add(cleanup);
  return () => signalCleanups.delete(cleanup);
}

export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(graceMs)));
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

function childEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  // Loopback traffic (webhook calls from the API server, kubectl) must never go through a proxy.
  const noProxy = ['127.0.0.1', 'localhost', env.NO_PROXY ?? env.no_proxy].filter(Boolean).join(',');
  env.NO_PROXY = noProxy;
  env.no_proxy = noProxy;
  // A developer's KUBECONFIG must not leak into anything the harness starts.
  delete env.KUBECONFIG;
  return env;
}

function tellWatchdog(op: 'add' | 'del' | 'rmdir' | 'keepdir', arg: number | string): void {
  if (!watchdog) {
    watchdog = spawn('bash', ['-c', WATCHDOG_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: false });
    watchdog.on('error', () => {
      // No bash: the exit/signal handlers remain.
    });
    watchdog.stdin?.on('error', () => {});
    watchdog.unref();
    // The pipe must not keep the event loop alive; it closes when this process goes away.
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  watchdog.stdin?.write(`${op} ${arg}\n`);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const p of live) signal(p.child, 'SIGKILL');
    for (const c of transient) signal(c, 'SIGKILL');
    for (const cleanup of exitCleanups) {
      try {
        cleanup();
      } catch {
        // best effort while exiting
      }
    }
  });
  const onSignal = (sig: NodeJS.Signals, exitCode: number) => {
    process.once(sig, () => {
      process.stderr.write(`[e2e harness] ${sig}: stopping ${live.size} child process(es)\n`);
      const hardStop = setTimeout(() => process.exit(exitCode), signalCleanups.size > 0 ? 60_000 : 5000);
      hardStop.unref();
      void Promise.allSettled([...signalCleanups].map((cleanup) => cleanup()))
        .then(() => stopAll(2000))
        .finally(() => process.exit(exitCode));
    });
  };
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
}
