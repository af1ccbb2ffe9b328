// The progress line: drawn on a terminal at most every 200 ms and erased at the end; never elsewhere.
import t from 'tap';
import { formatProgress, startProgress } from '../../src/cli/report-progress.ts';

function terminal(isTTY: boolean): { isTTY: boolean; written: string[]; write(text: string): boolean } {
  const written: string[] = [];
  return { isTTY, written, write: (text) => written.push(text) > 0 };
}

t.test('on a terminal: redrawn in place, throttled, erased when done', async (t) => {
  const tty = terminal(true);
  let now = 0;
  const progress = startProgress(tty, 4 * 1_048_576, () => now);
  now = 100;
  progress.update(1_048_576, 10);
  now = 250;
  progress.update(2 * 1_048_576, 2_000);
  now = 300;
  progress.update(3 * 1_048_576, 3_000);
  progress.done();
  t.strictSame(tty.written, ['\r\x1b[Knetpol-hygiene report: read 2.0 MiB of 4.0 MiB (50%), 2,000 audit records', '\r\x1b[K']);
});

t.test('not a terminal (a pipe, a CI log): nothing written', async (t) => {
  const pipe = terminal(false);
  let now = 0;
  const progress = startProgress(pipe, 100, () => now);
  now = 10_000;
  progress.update(50, 5);
  progress.done();
  t.strictSame(pipe.written, []);
});

t.test('a short run on a terminal leaves nothing to erase', async (t) => {
  const tty = terminal(true);
  const progress = startProgress(tty, 100, () => 0);
  progress.update(100, 1);
  progress.done();
  t.strictSame(tty.written, []);
});

t.test('stdin has no known size', async (t) => {
  t.equal(formatProgress(5 * 1_048_576, undefined, 1_234_567), 'netpol-hygiene report: read 5.0 MiB, 1,234,567 audit records');
});
