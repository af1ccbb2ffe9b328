import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where audit bytes go, opened so that writing never waits on the event loop:
 *
 * - a pipe, FIFO, socket or terminal (a container's stdout) is written in non-blocking mode
 *   from the main thread: a full pipe answers EAGAIN at once and exactly what was written is
 *   known, so nothing is written twice or torn;
 * - a regular file is written from libuv's thread pool: a file under dirty-page writeback
 *   stalls a pool thread, not the event loop (and Node finishes queued pool writes at exit).
 */
export interface SinkDescriptor {
  /** Names the sink in log lines: `stdout` or the file path. */
  readonly name: string;
  /** Writes what the sink takes of `chunk` without holding up the event loop; `written` 0 means full, try later. */
  write(chunk: Buffer, done: (error: Error | null, written: number) => void): void;
  /** Writes what the sink takes now, from the calling thread; 0 when it is full. Throws on anything but a full sink. */
  writeNow(chunk: Buffer): number;
  close(): void;
}

/** Opens fd 1 (`stdout`) or a file path, creating the file and its directory when missing. */
export function openSinkDescriptor(target: 'stdout' | string): SinkDescriptor {
  if (target === 'stdout') return forDescriptor(1, 'stdout', false);
  if (isFifo(target)) return nonBlocking(openSync(target, constants.O_WRONLY | constants.O_NONBLOCK), target, true);
  mkdirSync(dirname(target), { recursive: true });
  return forDescriptor(openSync(target, 'a'), target, true);
}

function isFifo(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

function forDescriptor(fd: number, name: string, owned: boolean): SinkDescriptor {
  if (fstatSync(fd).isFile()) return threadPool(fd, name, owned);
  // A second open file description of the same pipe: O_NONBLOCK on it leaves the one shared
  // with the container runtime (and any other process writing there) as it was.
  try {
    const own = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
    if (owned) closeSync(fd);
    return nonBlocking(own, name, true);
  } catch {
    // A socket (a parent's stdio 'pipe', journald) cannot be reopened; Node's own stdout
    // stream sets it non-blocking, as it does whenever anything writes to process.stdout.
    if (fd !== 1) return threadPool(fd, name, owned);
    void process.stdout;
    return nonBlocking(fd, name, false);
  }
}

function nonBlocking(fd: number, name: string, owned: boolean): SinkDescriptor {
  return {
    name,
    write(chunk, done) {
      let written: number;
      try {
        written = writeOrFull(fd, chunk);
      } catch (error) {
        done(error as Error, 0);
        return;
      }
      done(null, written);
    },
    writeNow: (chunk) => writeOrFull(fd, chunk),
    close: () => closeIfOwned(fd, owned),
  };
}

function threadPool(fd: number, name: string, owned: boolean): SinkDescriptor {
  return {
    name,
    write(chunk, done) {
      write(fd, chunk, 0, chunk.length, null, (error, written) => done(error, written));
    },
    writeNow: (chunk) => writeOrFull(fd, chunk),
    close: () => closeIfOwned(fd, owned),
  };
}

function writeOrFull(fd: number, chunk: Buffer): number {
  try {
    return writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw error;
  }
}

function closeIfOwned(fd: number, owned: boolean): void {
  if (owned) closeSync(fd);
}
