import { createReadStream, openSync, closeSync, fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { AuditSummarizer } from '../report/audit-summary.ts';
import { type AuditSummary, type Report, reportVersion } from '../report/model.ts';
import { renderHtml } from '../report/render-html.ts';
import { renderText } from '../report/render-text.ts';
import { type Format, parseReportOptions, type ReportOptions } from './report-options.ts';
import { readPosture } from './report-cluster.ts';
import { startProgress } from './report-progress.ts';

export const reportUsage = `Usage: netpol-hygiene report [FILE|-]... [-o text|json|html] [--since TIME] [--until TIME]
                             [--namespace NS]... [--rule ID]... [--user NAME]... [--top N] [--list N]
                             [--cluster [--kubeconfig FILE] [--context NAME] [--config FILE]]

Summarises audit records (the webhook's stdout, its audit file, or \`kubectl logs --prefix\`
output from several replicas) read from FILEs or stdin; other lines are skipped and counted.
TIME is RFC 3339 (2026-11-30T16:00:00Z) or a duration back from now (90s, 15m, 1h30m, 7d).
--top: entries per breakdown (10); --list: denials and repairs listed with messages (50).
--cluster: the posture of every governed namespace, read with GET only (--kubeconfig,
$KUBECONFIG or the in-cluster service account) and judged by the config: baseline complete or
what is missing or edited, policies above the ceiling, pods without a valid or entitled tier,
exempt namespaces, unmanaged policies. Alone it reads no audit log; with FILEs (or -) it
reports both. The filters apply to the audit records only.
`;

const renderers: Record<Format, (report: Report) => string> = {
  text: renderText,
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  html: renderHtml,
};

/** Reads audit logs (files or stdin), the cluster (--cluster), or both, and prints the report; exit 2 on bad arguments or unreadable input. */
export async function runReport(args: string[]): Promise<number> {
  const parsed = parseReportOptions(args, Date.now());
  if (!parsed.ok) return fail(`${parsed.error}\nRun "netpol-hygiene report --help" for usage.`);
  const { options } = parsed;
  if (options.help) {
    process.stdout.write(reportUsage);
    return 0;
  }
  const report = await buildReport(options);
  if (typeof report === 'string') return fail(report);
  process.stdout.write(renderers[options.format](report));
  return 0;
}

/** The posture (--cluster) and the audit summary (FILEs, stdin, or both); or what stopped either. */
async function buildReport(options: ReportOptions): Promise<Report | string> {
  // The cluster first: a wrong kubeconfig fails before a long log read, not after.
  const posture = options.cluster === undefined ? undefined : await readPosture(options.cluster);
  if (typeof posture === 'string') return posture;
  const audit = options.cluster === undefined || options.inputs.length > 0 ? await summarizeInputs(options) : undefined;
  if (typeof audit === 'string') return audit;
  if (audit?.input.records === 0) process.stderr.write(`netpol-hygiene report: none of the ${audit.input.lines} lines read is an audit record (a JSON line marked "audit":true)\n`);
  return { kind: 'NetpolHygieneReport', version: reportVersion, generatedAt: new Date().toISOString(), ...(audit && { audit }), ...(posture && { posture }) };
}

/** The audit summary of every input, or what stopped the read. */
async function summarizeInputs(options: ReportOptions): Promise<AuditSummary | string> {
  // Waiting on a terminal for logs nobody pipes in would look like a hang.
  if (options.inputs.length === 0 && process.stdin.isTTY === true) return 'no input: give audit log FILEs, or pipe them in (kubectl logs ... | netpol-hygiene report)';
  const opened = openInputs(options.inputs.length === 0 ? ['-'] : options.inputs);
  if (typeof opened === 'string') return opened;
  const summarizer = new AuditSummarizer(options.filter, { top: options.top, listed: options.listed });
  try {
    await readAll(opened, summarizer);
  } catch (error) {
    return (error as Error).message;
  }
  return summarizer.summary(options.filters);
}

interface Input {
  readonly name: string;
  readonly fd?: number;
  readonly bytes?: number;
}

/** Opens every file before reading any, so a typo fails fast instead of after a long read. */
function openInputs(names: readonly string[]): Input[] | string {
  const inputs: Input[] = [];
  for (const name of names) {
    try {
      inputs.push(name === '-' ? { name } : openFile(name));
    } catch (error) {
      for (const input of inputs) if (input.fd !== undefined) closeSync(input.fd);
      return `cannot read ${name}: ${(error as Error).message}`;
    }
  }
  return inputs;
}

function openFile(name: string): Input {
  const fd = openSync(name, 'r');
  const stat = fstatSync(fd);
  if (stat.isDirectory()) {
    closeSync(fd);
    throw new Error('it is a directory');
  }
  // A FIFO or /dev/stdin has no size: progress then shows bytes read only.
  return { name, fd, bytes: stat.isFile() ? stat.size : undefined };
}

async function readAll(inputs: readonly Input[], summarizer: AuditSummarizer): Promise<void> {
  const sizes = inputs.map((input) => input.bytes);
  const totalBytes = sizes.every((size) => size !== undefined) ? sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0) : undefined;
  const progress = startProgress(process.stderr, totalBytes);
  let before = 0;
  try {
    for (const input of inputs) {
      const stream: Readable & { bytesRead?: number } = input.fd === undefined ? process.stdin : createReadStream('', { fd: input.fd });
      await readLines(input.name, stream, summarizer, (bytes) => progress.update(before + bytes, summarizer.recordCount));
      before += stream.bytesRead ?? 0;
    }
  } finally {
    progress.done();
  }
}

async function readLines(name: string, stream: Readable & { bytesRead?: number }, summarizer: AuditSummarizer, onProgress: (bytesRead: number) => void): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      summarizer.addLine(line);
      onProgress(stream.bytesRead ?? 0);
    }
  } catch (error) {
    throw new Error(`cannot read ${name === '-' ? 'stdin' : name}: ${(error as Error).message}`);
  }
}

function fail(message: string): number {
  process.stderr.write(`netpol-hygiene report: ${message}\n`);
  return 2;
}
