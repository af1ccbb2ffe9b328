/** A one-line progress indicator for long reads, only where a person watches a terminal. */

export interface ProgressTerminal {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  update(bytesRead: number, records: number): void;
  done(): void;
}

const intervalMs = 200;

/** Redraws at most every 200 ms; a no-op when `terminal` is not a TTY (a pipe, a CI log, a file). */
export function startProgress(terminal: ProgressTerminal, totalBytes: number | undefined, now: () => number = Date.now): Progress {
  if (terminal.isTTY !== true) return { update: () => {}, done: () => {} };
  let lastDraw = now();
  let drawn = false;
  return {
    update(bytesRead, records) {
      if (now() - lastDraw < intervalMs) return;
      lastDraw = now();
      drawn = true;
      terminal.write(`\r\x1b[K${formatProgress(bytesRead, totalBytes, records)}`);
    },
    done() {
      // Leaves the terminal as it was: the report itself goes to stdout.
      if (drawn) terminal.write('\r\x1b[K');
    },
  };
}

export function formatProgress(bytesRead: number, totalBytes: number | undefined, records: number): string {
  const read = mebibytes(bytesRead);
  const of = totalBytes === undefined || totalBytes === 0 ? '' : ` of ${mebibytes(totalBytes)} (${Math.min(100, Math.floor((100 * bytesRead) / totalBytes))}%)`;
  return `netpol-hygiene report: read ${read}${of}, ${records.toLocaleString('en-US')} audit records`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
