import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { type Matrix, reachabilityMatrix } from '../reachability/matrix.ts';
import { podKey } from '../reachability/model.ts';
import { asCommand, inputOptions, loadWorld, parseOutput, parseTraffic } from './reachability-input.ts';

/** The matrix over every pod of the input: `matrix[from][to]` on one port and protocol. */
export async function runReachability(args: string[]): Promise<number> {
  return asCommand('reachability', async () => {
    const { values } = parseArgs({ args, options: inputOptions });
    const output = parseOutput(values.output, ['table', 'json'] as const);
    const traffic = parseTraffic(values.port, values.protocol, 80);
    const matrix = reachabilityMatrix(await loadWorld(values.filename, values.kubeconfig, values.context), traffic);
    if (output === 'json') await writeChunks(matrixJsonChunks(matrix));
    else process.stdout.write(matrixTable(matrix));
    return 0;
  });
}

/** true, false, or null where ClusterNetworkPolicies leave the answer to the implementation or to DNS. */
function jsonCell(matrix: Matrix, from: number, to: number): string {
  const outcome = matrix.outcome(from, to);
  return outcome === 'undetermined' ? 'null' : String(outcome === 'allowed');
}

const cells = { allowed: '.', denied: 'X', undetermined: '?' } as const;

/**
 * The JSON contract: {"port", "protocol", "pods": [...], "matrix": {from: {to: bool}}}, pods as
 * namespace/name. Produced a row at a time: at 1,000 pods the whole document is 21 MiB, and an
 * object of a million properties for one JSON.stringify would hold several times that.
 */
export function* matrixJsonChunks(matrix: Matrix): Generator<string> {
  const names = matrix.pods.map((pod) => JSON.stringify(podKey(pod)));
  yield `{"port":${matrix.traffic.port},"protocol":${JSON.stringify(matrix.traffic.protocol)},"pods":[${names.join(',')}],"matrix":{`;
  for (let i = 0; i < names.length; i++) yield `${i === 0 ? '' : ','}${names[i]}:{${names.map((to, j) => `${to}:${jsonCell(matrix, i, j)}`).join(',')}}`;
  yield '}}\n';
}

export function matrixJson(matrix: Matrix): string {
  return [...matrixJsonChunks(matrix)].join('');
}

/** Writes chunk by chunk, waiting whenever stdout's buffer is full, so memory stays at one chunk. */
async function writeChunks(chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

/**
 * Upstream's truth-table layout (test/e2e/network/netpol/truthtable.go): rows are sources,
 * columns destinations, `.` allowed and `X` denied (`?` where ClusterNetworkPolicies leave it
 * undetermined); columns padded to line up.
 */
export function matrixTable(matrix: Matrix): string {
  const pods = matrix.pods.map(podKey);
  const width = Math.max(1, ...pods.map((p) => p.length));
  const cell = (text: string): string => text.padEnd(width);
  let open = false;
  const mark = (i: number, j: number): string => {
    const outcome = matrix.outcome(i, j);
    open ||= outcome === 'undetermined';
    return cells[outcome];
  };
  const rows = pods.map((from, i) => [cell(from), ...pods.map((_, j) => cell(mark(i, j)))].join(' ').trimEnd());
  const legend = `. allowed, X denied${open ? ', ? undetermined (see explain)' : ''}`;
  const lines = [`${matrix.traffic.protocol}/${matrix.traffic.port}: rows from, columns to; ${legend}`, [cell('-'), ...pods.map(cell)].join(' ').trimEnd(), ...rows];
  return `${lines.join('\n')}\n`;
}
