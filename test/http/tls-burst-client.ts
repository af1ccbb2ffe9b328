/**
 * A client in its own process, as the API server is: opens `count` TLS connections at once,
 * each sending one Namespace review to /mutate, and prints what each got as one JSON line.
 * argv: port, count; stdin: the CA's PEM.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { loadReview } from '../fixtures/load.ts';

export interface BurstOutcome {
  /** HTTP status, or 0 when the connection closed before any answer. */
  readonly status: number;
  /** The response's uid for a 200, the error name otherwise. */
  readonly detail: string;
}

const [port, count] = process.argv.slice(2).map(Number) as [number, number];
const ca = readFileSync(0, 'utf8');

function send(index: number): Promise<BurstOutcome> {
  const review = loadReview('namespace-create') as { request: { uid: string } };
  review.request.uid = `burst-${index}`;
  const body = JSON.stringify(review);
  return new Promise((resolve) => {
    const request = https.request(
      { host: '127.0.0.1', port, path: '/mutate', method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          const parsed = JSON.parse(text) as { response?: { uid?: string }; error?: string };
          resolve({ status: response.statusCode ?? 0, detail: parsed.response?.uid ?? parsed.error ?? text });
        });
      },
    );
    request.on('error', (error: Error & { code?: string }) => resolve({ status: 0, detail: error.code ?? error.message }));
    request.end(body);
  });
}

const outcomes = await Promise.all(Array.from({ length: count }, (_, index) => send(index)));
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
