/**
 * System calls a process makes over a stretch of time, counted by `strace -c` attached to it
 * (every thread). ptrace slows the process a lot, so only the counts mean anything: how many
 * writes, reads and wake-ups a unit of work costs, not how long they take.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

export interface SyscallCounter {
  /** Detaches and resolves with calls per system call name. */
  stop(): Promise<Map<string, number>>;
}

/** Attaches `strace -c -f` to `pid`, writing its summary to `file`; resolves once it is attached. */
export async function countSyscalls(pid: number, file: string): Promise<SyscallCounter> {
  const strace = spawn('strace', ['-c', '-f', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => strace.once('exit', () => resolve()));
  // "strace: Process N attached" on stderr, once ptrace holds the process (-f: all its threads).
  await new Promise<void>((resolve, reject) => {
    let said = '';
    strace.stderr.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('attached')) resolve();
    });
    void exited.then(() => reject(new Error(`strace exited before attaching to ${pid}: ${said.trim()}`)));
  });
  return {
    async stop() {
      strace.kill('SIGINT');
      await exited;
      const counts = new Map<string, number>();
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } finally {
        rmSync(file, { force: true });
      }
      // % time  seconds  usecs/call  calls  [errors]  syscall
      for (const line of text.split('\n')) {
        const fields = line.trim().split(/\s+/);
        const name = fields.at(-1) ?? '';
        const calls = Number(fields[3]);
        if (/^\d/.test(fields[0] ?? '') && /^[a-z_0-9]+$/.test(name) && Number.isFinite(calls)) counts.set(name, calls);
      }
      return counts;
    },
  };
}
