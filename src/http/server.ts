import type { Server } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AppDeps, buildApp } from './app.ts';
import type { InFlight } from './in-flight-gate.ts';
import { readTlsPair, warnIfExpired, watchTlsPair } from './tls-files.ts';

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsPollIntervalMs?: number;
  /** PEM of the CA whose client certificates may call the admission routes (the API server's, via its AdmissionConfiguration). */
  readonly clientCa?: string;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly port: number;
  /** Requests and declared body bytes in flight, for /metrics. */
  inFlight(): InFlight;
  /** notAfter of the certificate being served: the one read at start, then each one reloaded. */
  certificateNotAfter(): Date;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/** Listens with TLS and swaps the serving certificate in place when its files change. */
export async function startServer(deps: Omit<AppDeps, 'https'>, options: ServeOptions, log: Logger): Promise<RunningServer> {
  const pair = readTlsPair(options.tlsCertFile, options.tlsKeyFile);
  warnIfExpired(pair.notAfter, log);
  let notAfter = pair.notAfter;
  const app = buildApp({ ...deps, https: { cert: pair.cert, key: pair.key, clientCa: options.clientCa } });
  await app.listen({ host: options.host, port: options.port });
  const server = app.server as Server;
  // New handshakes use the new pair; open connections and in-flight requests are untouched.
  const stopWatching = watchTlsPair({ certFile: options.tlsCertFile, keyFile: options.tlsKeyFile, served: pair.version }, (next) => {
    server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2', ...(options.clientCa === undefined ? {} : { ca: options.clientCa }) });
    notAfter = next.notAfter;
  }, log, options.tlsPollIntervalMs);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  log.info({ clientAuthentication: options.clientCa !== undefined, host: options.host, port }, 'netpol-hygiene webhook listening');
  return {
    app,
    port,
    inFlight: () => app.inFlight(),
    certificateNotAfter: () => notAfter,
    async close() {
      stopWatching();
      await app.close();
    },
  };
}
