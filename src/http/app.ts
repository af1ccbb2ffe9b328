import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { type AdmissionDeps, type WebhookPath, handleAdmission } from '../admission/handler.ts';
import { type AdmissionReview, admissionApiVersion, admissionReviewSchema } from '../admission/review.ts';
import { transportError } from './errors.ts';

export interface Readiness {
  /** Undefined when ready; otherwise why not (shown by GET /readyz). */
  notReadyReason(): string | undefined;
}

export interface AppDeps {
  readonly admission: AdmissionDeps;
  readonly readiness: Readiness;
  readonly logger: Logger;
  /** TLS options; absent in tests that exercise routes with inject(). */
  readonly https?: { readonly cert: string; readonly key: string };
  /** Largest accepted body. An AdmissionReview carries object and oldObject, each up to the API server's 3 MiB. */
  readonly maxBodyBytes?: number;
}

export const defaultMaxBodyBytes = 7 * 1024 * 1024;

/** Registers routes and error handling; never listens (server.ts owns that). */
export function buildApp(deps: AppDeps): FastifyInstance {
  const options: FastifyServerOptions & { https?: object } = {
    loggerInstance: deps.logger,
    // The audit record is the per-request log line; fastify's own would double it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.maxBodyBytes ?? defaultMaxBodyBytes,
    return503OnClosing: false,
    // The envelope is validated, never coerced or trimmed: the rules see what the API server sent.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  };
  if (deps.https !== undefined) options.https = { ...deps.https, minVersion: 'TLSv1.2' };
  const app = Fastify(options) as unknown as FastifyInstance;
  // AdmissionReviews are JSON only; fastify would otherwise also accept text/plain.
  app.removeContentTypeParser(['text/plain']);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = transportError(error);
    request.log.warn({ err: { message: error.message, code: error.code }, status, url: request.url }, `rejected request: ${body.error}`);
    void reply.code(status).send(body);
  });

  for (const webhook of ['mutate', 'validate'] as const satisfies readonly WebhookPath[]) {
    app.post(`/${webhook}`, { schema: { body: admissionReviewSchema } }, async (request) => {
      const review = request.body as AdmissionReview;
      const response = await handleAdmission(webhook, review.request, deps.admission);
      return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response };
    });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const reason = deps.readiness.notReadyReason();
    if (reason === undefined) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reason });
  });
  return app;
}
