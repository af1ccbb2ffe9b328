/**
 * A server's stdout as a container runtime gives it: a FIFO that another process (`cat`, as
 * containerd's shim in a pod) drains into a file. Audit records take the same path as in a
 * pod, and nothing in the benchmark's own process sits between the server and the pipe.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';

export interface ContainerLog {
  /** The FIFO's write end, for the server's stdout; close it here once the server has it. */
  readonly writeFd: number;
  /** Resolves once `cat` has drained everything (the server, the last writer, has exited). */
  readonly drained: Promise<void>;
  readonly drain: ChildProcess;
}

/** `cat` from a new FIFO next to `logFile` into it; `prefix` runs it pinned (e.g. `taskset -c 0`). */
export function containerLogPipe(logFile: string, prefix: readonly string[] = []): ContainerLog {
  const fifo = `${logFile}.fifo`;
  execFileSync('mkfifo', [fifo]);
  // Opened non-blocking first so that opening the write end does not wait for a reader.
  const placeholder = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(fifo, constants.O_WRONLY);
  const readFd = openSync(fifo, constants.O_RDONLY);
  closeSync(placeholder);
  const logFd = openSync(logFile, 'w');
  const [file = '', ...args] = [...prefix, 'cat'];
  const drain = spawn(file, args, { stdio: [readFd, logFd, 'inherit'] });
  closeSync(readFd);
  closeSync(logFd);
  const drained = new Promise<void>((resolve) => drain.once('exit', () => resolve()));
  return { writeFd, drained, drain };
}

/** Reads the lines appended to a log file since the last call, when asked (never on a timer). */
export function logLines(logFile: string): () => string[] {
  let offset = 0;
  let partial = '';
  const chunk = Buffer.alloc(1 << 20);
  return () => {
    const fd = openSync(logFile, 'r');
    try {
      let text = partial;
      for (let n = readSync(fd, chunk, 0, chunk.length, offset); n > 0; n = readSync(fd, chunk, 0, chunk.length, offset)) {
        offset += n;
        text += chunk.toString('utf8', 0, n);
      }
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      return lines.filter((line) => line !== '');
    } finally {
      closeSync(fd);
    }
  };
}
