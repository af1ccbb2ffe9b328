import { pino } from 'pino';
import { BufferedWriter, type BufferedWriterOptions } from './buffered-writer.ts';
import { openSinkDescriptor } from './sink-descriptor.ts';

export interface WriterOptions {
  /** Default 8 MiB per sink: about 4 s of records at 2,000 admissions/s. */
  readonly maxBufferedBytes?: number;
  /** Default 10 s. */
  readonly stallTimeoutMs?: number;
  /** Default: a pino line on stderr, which a container runtime drains apart from stdout. */
  readonly warn?: BufferedWriterOptions['warn'];
}

export function writerOptions(options: WriterOptions = {}): BufferedWriterOptions {
  return {
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    stallTimeoutMs: options.stallTimeoutMs ?? 10_000,
    warn: options.warn ?? stderrWarn(),
  };
}

let shared: BufferedWriter | undefined;

/**
 * The process's one writer of stdout, flushed on exit. Audit records and the operational log
 * both go through it: two writers on one pipe tear each other's lines whenever it fills (a
 * partial non-blocking write, then the other's line), and a synchronous log line would hold
 * up the event loop on a stalled pipe. The first caller's options apply.
 */
export function stdoutWriter(options: WriterOptions = {}): BufferedWriter {
  if (shared === undefined) {
    const writer = new BufferedWriter(openSinkDescriptor('stdout'), writerOptions(options));
    process.on('exit', () => writer.flushSync());
    shared = writer;
  }
  return shared;
}

/**
 * A pino destination for the operational log: stdout, through the shared writer. A log line
 * must never throw where it is logged: while stdout fails, the writer counts what it loses
 * and says so on stderr.
 */
export function operationalStdout(): { write(line: string): void; flush(): void } {
  const writer = stdoutWriter();
  return {
    write(line) {
      try {
        writer.write(line);
      } catch {
        // Counted as dropped by the writer.
      }
    },
    flush: () => writer.flushSync(),
  };
}

function stderrWarn(): BufferedWriterOptions['warn'] {
  const log = pino({ base: { component: 'netpol-hygiene' } }, pino.destination({ dest: 2, sync: true }));
  return (fields, message) => log.warn(fields, message);
}
