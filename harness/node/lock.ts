// One node per machine (kubelet and containerd keep some fixed host paths, cgroups and
// iptables): an exclusive flock held by a child process for the node's lifetime. The child
// holds the lock itself (flock --no-fork), so when this process dies, however it dies, the
// harness's watchdog kills it and the lock is free again.
import type { ManagedProcess } from '../processes.ts';
import { spawnManaged } from '../processes.ts';

export interface NodeLock {
  /** Resolves once the lock is held; rejects if the lock holder exits first. */
  readonly acquired: Promise<void>;
  release(): Promise<void>;
}

/**
 * NETPOL_HYGIENE_NODE_LOCK_HELD=<lock path>: the caller already holds the lock (e.g. a script
 * that keeps the machine's node to itself across a crash and the cleanup after it); no second
 * lock is taken, which would wait forever.
 */
export function takeNodeLock(lockPath: string, onWaiting: (message: string) => void): NodeLock {
  if (process.env.NETPOL_HYGIENE_NODE_LOCK_HELD === lockPath) return { acquired: Promise.resolve(), release: async () => {} };
  let resolveAcquired: () => void = () => {};
  const acquired = new Promise<void>((resolve) => (resolveAcquired = resolve));
  const holder: ManagedProcess = spawnManaged({
    name: 'node lock',
    command: 'flock',
    args: ['--exclusive', '--no-fork', lockPath, 'sh', '-c', 'echo locked; exec sleep infinity'],
    // It prints one line, read above; a log file would be one more thing to clean up.
    logPath: '/dev/null',
    onStdoutLine: (line) => {
      if (line === 'locked') resolveAcquired();
    },
  });
  const waiting = setTimeout(() => onWaiting(`node: waiting for ${lockPath}: another node runs on this machine`), 2000);
  const exited = holder.exited.then((status) => {
    throw new Error(`node: the lock holder for ${lockPath} exited (code ${status.code}) before taking the lock:\n${holder.tail(10)}`);
  });
  // Once the lock is held, the holder's exit on release is expected: nobody awaits this then.
  exited.catch(() => {});
  return {
    acquired: Promise.race([acquired, exited]).finally(() => clearTimeout(waiting)),
    async release() {
      clearTimeout(waiting);
      await holder.stop(2000);
    },
  };
}
