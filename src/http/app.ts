import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import type { TLSSocket } from 'node:tls';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { type AdmissionDeps, type WebhookPath, handleAdmission } from '../admission/handler.ts';
import { errored } from '../admission/responses.ts';
import { type AdmissionReview, admissionApiVersion, admissionReviewSchema } from '../kube/admission-review.ts';
import { validate as validateAdmissionReview } from '../kube/admission-review-validator.generated.ts';
import { type TransportRejection, clientCertificateRequired, clientErrorRejection, missingHost, notFound, rawHttpResponse, transportError } from './errors.ts';
import { type InFlight, registerInFlightGate } from './in-flight-gate.ts';
import { graceSlowHandshake, handshakeTimeoutCode } from './handshake-grace.ts';
import { parseJsonBody } from './json-shape-guard.ts';
import { type TransportLimits, defaultTransportLimits } from './limits.ts';

/**
 * Imported as an ES module, node:http builds its namespace by reading every export, and its lazy
 * `WebSocket` getter then loads Node's bundled fetch client (undici): ~2.5 MiB of heap that
 * serve never uses. require() reads only the export asked for.
 */
const { STATUS_CODES } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface Readiness {
  /** Undefined when ready; otherwise why not (shown by GET /readyz). */
  notReadyReason(): string | undefined;
}

/** Counts transport rejections and answers GET /metrics (src/metrics/ in production). */
export interface AppMetrics {
  rejected(reason: string): void;
  exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export interface AppDeps {
  readonly admission: AdmissionDeps;
  readonly readiness: Readiness;
  readonly logger: Logger;
  /**
   * TLS options; absent in tests that exercise routes with inject(). With clientCa, the
   * admission routes answer only clients whose certificate that CA signed.
   */
  readonly https?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
  readonly limits?: Partial<TransportLimits>;
  /** Absent: no GET /metrics, nothing counted. */
  readonly metrics?: AppMetrics;
}

export const admissionPaths: readonly WebhookPath[] = ['mutate', 'validate'];

/** Registers routes, guards and error handling; never listens (server.ts owns that). */
export function buildApp(deps: AppDeps): FastifyInstance & { inFlight(): InFlight } {
  const limits: TransportLimits = { ...defaultTransportLimits, ...deps.limits };
  const log = deps.logger;
  const app = Fastify(serverOptions(deps, limits)) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  logRejectedConnections(app, log, deps.metrics);
  const reject = (request: FastifyRequest, reply: FastifyReply, rejection: TransportRejection, cause?: string): void => {
    deps.metrics?.rejected(rejection.body.error);
    answerRejection(request, reply, rejection, cause);
  };
  app.removeAllContentTypeParsers();
  app.setValidatorCompiler(({ schema }) => precompiledValidator(schema));
  app.setErrorHandler((error: FastifyError, request, reply) => reject(request, reply, transportError(error), error.message));
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').replace(/^\//, '');
    reject(request, reply, notFound(request.method, request.url.slice(0, 200), (admissionPaths as readonly string[]).includes(path)));
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) return reject(request, reply, missingHost);
    if (deps.https?.clientCa !== undefined && request.method === 'POST' && !(request.raw.socket as TLSSocket).authorized) {
      return reject(request, reply, clientCertificateRequired, (request.raw.socket as TLSSocket).authorizationError?.message);
    }
    done();
  });
  const gate = registerInFlightGate(app, limits);
  // AdmissionReviews are JSON only, read by the in-flight gate and parsed within the shape limits.
  app.addContentTypeParser('application/json', (request, payload, done) => {
    gate.readBody(request, payload, (body) => {
      if (body instanceof Error) return done(body, undefined);
      try {
        done(null, parseJsonBody(body, limits.json));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  });

  for (const webhook of admissionPaths) {
    app.post(`/${webhook}`, { schema: { body: admissionReviewSchema } }, async (request) => {
      const review = request.body as AdmissionReview;
      return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response: await answer(webhook, review, deps.admission, log) };
    });
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const reason = deps.readiness.notReadyReason();
    if (reason === undefined) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reason });
  });
  const metrics = deps.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.exposition();
      return reply.type(contentType).send(body);
    });
  }
  return Object.assign(app, { inFlight: gate.inFlight });
}

/** handleAdmission never throws; should it ever, the API server still gets a fail-closed answer, not an HTTP 500. */
async function answer(webhook: WebhookPath, review: AdmissionReview, admission: AdmissionDeps, log: Logger): Promise<ReturnType<typeof errored>> {
  try {
    return await handleAdmission(webhook, review.request, admission);
  } catch (error) {
    log.error({ err: { message: (error as Error).message }, uid: review.request.uid }, 'admission failed outside the decision');
    return errored(review.request.uid, 'netpol-hygiene: internal error while answering, refused to stay safe');
  }
}

/**
 * The one body schema, the AdmissionReview envelope, has a validator compiled ahead of time
 * (scripts/generate-validators.ts says why); fastify would compile it with Ajv at start-up.
 */
function precompiledValidator(schema: unknown): typeof validateAdmissionReview {
  if (schema !== admissionReviewSchema) throw new Error('no precompiled validator for this route schema: add it to scripts/generate-validators.ts');
  return validateAdmissionReview;
}

function serverOptions(deps: AppDeps, limits: TransportLimits): FastifyServerOptions {
  // Node's own defaults answer a missing Host with an empty 400 and never time out a slow
  // header or body for 30 s checks; these make every rejection ours (JSON, logged) and prompt.
  const nodeServer = {
    requireHostHeader: false,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: 1_000,
  };
  const options: FastifyServerOptions & { https?: object; http?: object } = {
    loggerInstance: deps.logger,
    // The audit record is the per-request log line; fastify's own would double it.
    logController: new LogController({ disableRequestLogging: true }),
    // fastify would build a pino child per request (its bindings serialised, ~1 KB of garbage)
    // to stamp a request id on lines that only rejections write; those carry method, URL and peer.
    childLoggerFactory: (logger: FastifyBaseLogger) => logger,
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: Math.min(limits.idleTimeoutMs, 72_000),
    return503OnClosing: false,
    clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket) {
      if (error.code === handshakeTimeoutCode) {
        return graceSlowHandshake(socket as TLSSocket, limits.handshakeTimeoutMs, () => {
          deps.metrics?.rejected('TLSHandshakeTimeout');
          this.log.warn({ code: error.code, remote: socket.remoteAddress, timeoutMs: 2 * limits.handshakeTimeoutMs }, 'rejected connection: TLS handshake did not finish in time');
        });
      }
      const rejection = clientErrorRejection(error.code);
      // A socket or TLS error (the latter logged and counted by the tlsClientError listener): nothing to answer.
      if (rejection === undefined) return void socket.destroy();
      if (socket.destroyed) return;
      deps.metrics?.rejected(rejection.body.error);
      this.log.warn({ status: rejection.status, code: error.code, remote: socket.remoteAddress }, `rejected request: ${rejection.body.error}`);
      if (socket.writable) socket.end(rawHttpResponse(rejection, STATUS_CODES[rejection.status] ?? 'Error'));
      socket.destroySoon();
    },
  };
  if (deps.https === undefined) {
    options.http = nodeServer;
  } else {
    const { cert, key, clientCa } = deps.https;
    const clientAuth = clientCa === undefined ? {} : { ca: clientCa, requestCert: true, rejectUnauthorized: false };
    options.https = { ...nodeServer, cert, key, ...clientAuth, minVersion: 'TLSv1.2', handshakeTimeout: limits.handshakeTimeoutMs };
  }
  return options;
}

function answerRejection(request: FastifyRequest, reply: FastifyReply, { status, body }: TransportRejection, cause?: string): void {
  request.log.warn({ status, method: request.method, url: request.url.slice(0, 200), remote: request.ip, cause }, `rejected request: ${body.error}`);
  // A body refused before it was read whole leaves the connection out of step: close it.
  if (status === 408 || status === 413 || status === 503) void reply.header('connection', 'close');
  if (status === 503) void reply.header('retry-after', '1');
  void reply.code(status).send(body);
}

/** Connections refused before any HTTP: failed TLS handshakes and connections over the limit. */
function logRejectedConnections(app: FastifyInstance, log: Logger, metrics?: Pick<AppMetrics, 'rejected'>): void {
  app.server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    // Judged by graceSlowHandshake once the server has caught up, and logged there if closed.
    if (error.code === handshakeTimeoutCode) return;
    metrics?.rejected('TLSHandshakeFailed');
    log.warn({ code: error.code, remote: socket.remoteAddress, cause: error.message }, 'rejected connection: TLS handshake failed');
  });
  app.server.on('drop', (data?: { remoteAddress?: string }) => {
    metrics?.rejected('TooManyConnections');
    log.warn({ remote: data?.remoteAddress, maxConnections: app.server.maxConnections }, 'rejected connection: too many open connections');
  });
}
