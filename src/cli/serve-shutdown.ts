import type { Logger } from 'pino';

/** Resolves with the first SIGTERM or SIGINT. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

export interface Stoppable {
  close(): Promise<void>;
}

export interface ShutdownSteps {
  readonly server: Stoppable;
  readonly cluster: { stop(): Promise<void> };
  readonly audit: { flush(): void };
  readonly log: Logger;
  /** How long a SIGTERM keeps serving before the server closes. */
  readonly delayMs: number;
}

/**
 * SIGTERM: keep serving for the delay (while /readyz says "shutting down"), because the API
 * server keeps sending requests to this pod until the endpoint update reaches it, and with
 * failurePolicy Fail a refused connection is a refused pod; then stop accepting connections,
 * finish in-flight requests, release the Lease, flush the audit log. SIGINT (a person at a
 * terminal) skips the delay. Resolves with the exit code; a stuck step is cut off after 25 s.
 */
export async function shutDown(signal: NodeJS.Signals, { server, cluster, audit, log, delayMs }: ShutdownSteps): Promise<number> {
  const delay = signal === 'SIGTERM' ? delayMs : 0;
  log.info({ signal, delayMs: delay }, 'shutting down: serving until endpoints drop this pod, then finishing in-flight requests');
  let cutOff: NodeJS.Timeout | undefined;
  const stuck = new Promise<number>((resolve) => {
    cutOff = setTimeout(() => resolve(1), delay + 25_000).unref();
  });
  const steps = (async (): Promise<number> => {
    await new Promise((resolve) => setTimeout(resolve, delay));
    await server.close();
    await cluster.stop();
    return 0;
  })();
  const code = await Promise.race([steps, stuck]);
  clearTimeout(cutOff);
  if (code !== 0) log.error('shutdown did not finish within 25 s; exiting anyway');
  audit.flush();
  return code;
}
