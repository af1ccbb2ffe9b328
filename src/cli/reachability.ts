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
    const matrix = reachabilityMatrix(await loadWorld(values.filename, values.kubeconfig), traffic);
    process.stdout.write(output === 'json' ? matrixJson(matrix) : matrixTable(matrix));
    return 0;
  });
}

/** The JSON contract: {"port", "protocol", "pods": [...], "matrix": {from: {to: bool}}}, pods as namespace/name. */
export function matrixJson(matrix: Matrix): string {
  const pods = matrix.pods.map(podKey);
  const rows: Record<string, Record<string, boolean>> = {};
  pods.forEach((from, i) => {
    const row: Record<string, boolean> = {};
    pods.forEach((to, j) => {
      row[to] = matrix.allowed(i, j);
    });
    rows[from] = row;
  });
  return `${JSON.stringify({ port: matrix.traffic.port, protocol: matrix.traffic.protocol, pods, matrix: rows })}\n`;
}

/**
 * Upstream's truth-table layout (test/e2e/network/netpol/truthtable.go): rows are sources,
 * columns destinations, `.` allowed and `X` denied; columns padded to line up.
 */
export function matrixTable(matrix: Matrix): string {
  const pods = matrix.pods.map(podKey);
  const width = Math.max(1, ...pods.map((p) => p.length));
  const cell = (text: string): string => text.padEnd(width);
  const lines = [`${matrix.traffic.protocol}/${matrix.traffic.port}: rows from, columns to; . allowed, X denied`, [cell('-'), ...pods.map(cell)].join(' ').trimEnd()];
  pods.forEach((from, i) => lines.push([cell(from), ...pods.map((_, j) => cell(matrix.allowed(i, j) ? '.' : 'X'))].join(' ').trimEnd()));
  return `${lines.join('\n')}\n`;
}
