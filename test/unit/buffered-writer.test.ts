// BufferedWriter when the sink fails outright (EPIPE, ENOSPC): the records it lost are counted
// and logged, and later writes throw until the sink takes a line again, so that admission
// refuses what it cannot record. /dev/full is a real sink that fails every write with ENOSPC.
import t from 'tap';
import { BufferedWriter, type BufferedWriterOptions } from '../../src/audit/buffered-writer.ts';
import { type SinkDescriptor, openSinkDescriptor } from '../../src/audit/sink-descriptor.ts';

function options(warnings: Record<string, unknown>[]): BufferedWriterOptions {
  return { maxBufferedBytes: 1 << 20, stallTimeoutMs: 1000, warn: (fields, msg) => void warnings.push({ ...fields, msg }) };
}

/** Until the writer has handed everything to its sink (written or dropped): polled, however busy the machine. */
async function afterBatch(writer: BufferedWriter): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (writer.stats().bufferedRecords > 0) {
    if (Date.now() > deadline) throw new Error('the writer never emptied its buffer');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

t.test('a sink that fails loses only what it was given: counted, logged, and the next write throws', async (t) => {
  const warnings: Record<string, unknown>[] = [];
  const writer = new BufferedWriter(openSinkDescriptor('/dev/full'), options(warnings));
  t.teardown(() => writer.close());
  writer.write('{"n":1}\n');
  await afterBatch(writer);
  t.match(writer.stats(), { writtenRecords: 0, droppedRecords: 1, bufferedRecords: 0 });
  t.same(warnings, [{ sink: '/dev/full', droppedRecords: 1, droppedTotal: 1, reason: 'ENOSPC: no space left on device, write', msg: 'audit records dropped' }]);
  t.throws(() => writer.write('{"n":2}\n'), new Error('the audit log (/dev/full) cannot be written: ENOSPC: no space left on device, write'));
  t.match(writer.stats(), { writtenRecords: 0, droppedRecords: 2 });
});

t.test('once the sink takes a line again, writes return at once and nothing more is dropped', async (t) => {
  const sink = switchableSink();
  const writer = new BufferedWriter(sink, options([]));
  sink.broken = true;
  writer.write('{"n":1}\n');
  await afterBatch(writer);
  t.throws(() => writer.write('{"n":2}\n'), new Error('the audit log (switchable) cannot be written: EPIPE: broken pipe, write'));
  sink.broken = false;
  writer.write('{"n":3}\n');
  t.equal(sink.text, '{"n":3}\n', 'written on the spot, while the writer still thought the sink failing');
  writer.write('{"n":4}\n');
  await afterBatch(writer);
  t.equal(sink.text, '{"n":3}\n{"n":4}\n', 'then buffered again');
  t.match(writer.stats(), { writtenRecords: 2, droppedRecords: 2 });
});

/** A sink that fails with EPIPE while `broken`, else keeps what it is given. */
function switchableSink(): SinkDescriptor & { broken: boolean; text: string } {
  const sink = {
    name: 'switchable',
    broken: false,
    text: '',
    writeNow(chunk: Buffer): number {
      if (sink.broken) throw Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' });
      sink.text += chunk.toString();
      return chunk.length;
    },
    write(chunk: Buffer, done: (error: Error | null, written: number) => void): void {
      try {
        done(null, sink.writeNow(chunk));
      } catch (error) {
        done(error as Error, 0);
      }
    },
    close(): void {},
  };
  return sink;
}
