import type { SinkDescriptor } from './sink-descriptor.ts';

export interface BufferedWriterOptions {
  /** Bytes (UTF-16 units, close enough for JSON lines) held before `write` turns synchronous. */
  readonly maxBufferedBytes: number;
  /** How long a synchronous flush waits on a sink that takes nothing before dropping the rest. */
  readonly stallTimeoutMs: number;
  /** Operational warnings: a full buffer, dropped records. */
  readonly warn: (fields: Record<string, unknown>, message: string) => void;
}

/** What a future /metrics reads. */
export interface BufferedWriterStats {
  readonly bufferedBytes: number;
  readonly bufferedRecords: number;
  readonly writtenRecords: number;
  readonly droppedRecords: number;
  /** How many times `write` found the buffer full and waited for the sink. */
  readonly fullBufferWaits: number;
}

interface Chunk {
  readonly bytes: Buffer;
  readonly records: number;
}

const retryWhenFullMs = 10;
/** A write as soon as this much is queued, else within `batchDelayMs`: one syscall (or pool hop) per batch, not per record. */
const batchBytes = 16 * 1024;
const batchDelayMs = 5;
const pollWhenFullMs = 2;
const dropLogIntervalMs = 10_000;
const newline = 0x0a;

/**
 * Whole lines, buffered in memory and written in batches off the request's path (16 KiB, or
 * after 5 ms), so a slow sink (a container log pipe nobody drains, a file under writeback)
 * never holds up an admission decision; one write is in flight at a time and takes everything
 * queued behind it.
 *
 * When the buffer is full, `write` writes synchronously until the sink takes the backlog:
 * admission then waits for the audit log rather than decide unrecorded. When a write fails
 * (EPIPE, ENOSPC), what it carried is dropped and `write` throws until the sink takes a line
 * again, so admission refuses rather than decide unrecorded. Records are dropped (counted,
 * and logged at most every 10 s) only then, or when the sink takes nothing for
 * `stallTimeoutMs` during a synchronous flush.
 */
export class BufferedWriter {
  private readonly sink: SinkDescriptor;
  private readonly options: BufferedWriterOptions;
  private lines: string[] = [];
  private lineBytes = 0;
  /** What a partial write left of the chunk in front, written before anything newer. */
  private head: Chunk | undefined;
  /** Handed to the sink (the thread pool), not yet reported back. */
  private inFlight: Chunk | undefined;
  /** The next write: soon (a batch is full), after the batch delay, or a retry of a full sink. */
  private next: { readonly kind: 'soon' | 'batch' | 'retry'; readonly cancel: () => void } | undefined;
  private written = 0;
  private dropped = 0;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;
  private fullWaits = 0;
  /** Why the sink's last write failed (not merely full); cleared by the next write it takes. */
  private failure: string | undefined;

  constructor(sink: SinkDescriptor, options: BufferedWriterOptions) {
    this.sink = sink;
    this.options = options;
  }

  /**
   * Queues one line (ending in a newline). Returns at once unless the buffer is full, or the
   * sink's last write failed: then the line is written now, and if the sink still fails this
   * throws, so that the caller can refuse what it cannot record.
   */
  write(line: string): void {
    if (this.failure !== undefined) return this.writeWhileFailing(line);
    if (this.bufferedBytes() + line.length > this.options.maxBufferedBytes && this.bufferedBytes() > 0) {
      this.fullWaits++;
      this.options.warn({ sink: this.sink.name, bufferedBytes: this.bufferedBytes() }, 'audit buffer full: admission waits until the sink takes the backlog');
      this.flushSync();
    }
    this.lines.push(line);
    this.lineBytes += line.length;
    this.schedule();
  }

  private writeWhileFailing(line: string): void {
    this.lines.push(line);
    this.lineBytes += line.length;
    this.flushSync();
    if (this.failure !== undefined) throw new Error(`the audit log (${this.sink.name}) cannot be written: ${this.failure}`);
  }

  /** Writes everything queued before returning, waiting for a slow sink up to `stallTimeoutMs` without progress. */
  flushSync(): void {
    const chunk = this.takeAll();
    if (chunk === undefined) return;
    const stop = this.writeAllNow(chunk.bytes);
    const rest = stop === undefined ? undefined : chunk.bytes.subarray(stop.offset);
    this.written += chunk.records - (rest === undefined ? 0 : countLines(rest));
    this.failure = stop?.failed === true ? stop.reason : undefined;
    if (rest === undefined) this.logUnloggedDrops();
    else this.drop(rest, stop?.reason ?? '');
  }

  /** Writes from the calling thread, sleeping while the sink is full; where it stopped and why, when it could not finish. */
  private writeAllNow(bytes: Buffer): { offset: number; reason: string; failed: boolean } | undefined {
    let offset = 0;
    let lastProgress = Date.now();
    while (offset < bytes.length) {
      let n: number;
      try {
        n = this.sink.writeNow(bytes.subarray(offset));
      } catch (error) {
        return { offset, reason: (error as Error).message, failed: true };
      }
      if (n > 0) lastProgress = Date.now();
      else if (Date.now() - lastProgress > this.options.stallTimeoutMs) return { offset, reason: `the sink took nothing for ${this.options.stallTimeoutMs} ms`, failed: false };
      else sleep(pollWhenFullMs);
      offset += n;
    }
    return undefined;
  }

  stats(): BufferedWriterStats {
    return {
      bufferedBytes: this.bufferedBytes(),
      bufferedRecords: this.lines.length + (this.head?.records ?? 0) + (this.inFlight?.records ?? 0),
      writtenRecords: this.written,
      droppedRecords: this.dropped,
      fullBufferWaits: this.fullWaits,
    };
  }

  close(): void {
    this.flushSync();
    this.next?.cancel();
    this.sink.close();
  }

  private bufferedBytes(): number {
    return this.lineBytes + (this.head?.bytes.length ?? 0) + (this.inFlight?.bytes.length ?? 0);
  }

  private schedule(): void {
    if (this.inFlight !== undefined || (this.next !== undefined && this.next.kind !== 'batch')) return;
    if (this.lineBytes >= batchBytes) {
      this.next?.cancel();
      const immediate = setImmediate(() => this.writeNext());
      this.next = { kind: 'soon', cancel: () => clearImmediate(immediate) };
    } else if (this.next === undefined) {
      this.later('batch', batchDelayMs);
    }
  }

  private later(kind: 'batch' | 'retry', ms: number): void {
    const timer = setTimeout(() => this.writeNext(), ms).unref();
    this.next = { kind, cancel: () => clearTimeout(timer) };
  }

  private writeNext(): void {
    this.next = undefined;
    if (this.inFlight !== undefined) return;
    const chunk = this.head ?? this.takeLines();
    this.head = undefined;
    if (chunk === undefined) return;
    this.inFlight = chunk;
    this.sink.write(chunk.bytes, (error, written) => {
      this.inFlight = undefined;
      this.settle(chunk, error, written);
    });
  }

  private settle(chunk: Chunk, error: Error | null, written: number): void {
    this.failure = error?.message;
    if (error !== null) {
      this.drop(chunk.bytes, error.message);
    } else if (written < chunk.bytes.length) {
      const rest = chunk.bytes.subarray(written);
      this.head = { bytes: rest, records: countLines(rest) };
      this.written += chunk.records - this.head.records;
    } else {
      this.written += chunk.records;
    }
    if (written === 0 && error === null) {
      this.later('retry', retryWhenFullMs);
    } else {
      this.schedule();
    }
  }

  private takeLines(): Chunk | undefined {
    if (this.lines.length === 0) return undefined;
    const chunk = { bytes: Buffer.from(this.lines.join('')), records: this.lines.length };
    this.lines = [];
    this.lineBytes = 0;
    return chunk;
  }

  private takeAll(): Chunk | undefined {
    const head = this.head;
    this.head = undefined;
    const rest = this.takeLines();
    if (head === undefined || rest === undefined) return head ?? rest;
    return { bytes: Buffer.concat([head.bytes, rest.bytes]), records: head.records + rest.records };
  }

  private drop(bytes: Buffer, reason: string): void {
    const records = countLines(bytes);
    this.dropped += records;
    this.droppedSinceLog += records;
    if (Date.now() - this.lastDropLog >= dropLogIntervalMs) this.logUnloggedDrops(reason);
  }

  private logUnloggedDrops(reason?: string): void {
    if (this.droppedSinceLog === 0) return;
    this.options.warn({ sink: this.sink.name, droppedRecords: this.droppedSinceLog, droppedTotal: this.dropped, reason }, 'audit records dropped');
    this.droppedSinceLog = 0;
    this.lastDropLog = Date.now();
  }
}

/** Records not fully written in what is left of a chunk: every chunk ends a line, so one per newline. */
function countLines(bytes: Buffer): number {
  let count = 0;
  for (let i = bytes.indexOf(newline); i !== -1; i = bytes.indexOf(newline, i + 1)) count++;
  return count;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread: only for a synchronous flush that has to wait for the sink. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
