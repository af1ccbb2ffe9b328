import type { FastifyError } from 'fastify';
import { JsonShapeError } from './json-shape-guard.ts';

/** A request refused by the in-flight gate, before or while its body arrives; the error handler answers with its status. */
export class RequestRefusedError extends Error {
  readonly statusCode: number;
  readonly code: 'NH_OVERLOADED' | 'NH_BODY_TIMEOUT';
  constructor(code: 'NH_OVERLOADED' | 'NH_BODY_TIMEOUT', message: string) {
    super(message);
    this.name = 'RequestRefusedError';
    this.code = code;
    this.statusCode = code === 'NH_OVERLOADED' ? 503 : 408;
  }
}

/** The JSON body of every transport-level error: what went wrong and how to send it right. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

export interface TransportRejection {
  readonly status: number;
  readonly body: ErrorBody;
}

/**
 * Maps fastify's coded errors, and the body guards' own, to the status DESIGN.md promises: a
 * request that is not an admission.k8s.io/v1 AdmissionReview never reaches the rules.
 */
export function transportError(error: FastifyError | Error): TransportRejection {
  if (error instanceof RequestRefusedError) {
    return error.code === 'NH_OVERLOADED'
      ? overloaded(error.message)
      : { status: 408, body: { error: 'BodyTimeout', message: `${error.message}; the connection is closed` } };
  }
  if (error instanceof JsonShapeError) {
    return error.limit === 'depth'
      ? { status: 400, body: { error: 'TooDeeplyNested', message: `request body refused: ${error.message}` } }
      : { status: 413, body: { error: 'TooManyValues', message: `request body refused: ${error.message}` } };
  }
  const known = codedErrors[(error as FastifyError).code ?? ''];
  if (known !== undefined) return known(error);
  if (error instanceof SyntaxError || (error as FastifyError).statusCode === 400) return malformedJson(error);
  return { status: 500, body: { error: 'InternalError', message: 'internal error; see the webhook log' } };
}

const malformedJson = (error: Error): TransportRejection => ({ status: 400, body: { error: 'MalformedJSON', message: `request body is not valid JSON: ${error.message}` } });

const codedErrors: Record<string, (error: Error) => TransportRejection> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => ({ status: 413, body: { error: 'PayloadTooLarge', message: 'request body is larger than the webhook accepts (--max-body-bytes)' } }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => ({ status: 415, body: { error: 'UnsupportedMediaType', message: 'content type must be application/json' } }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({ status: 400, body: { error: 'BadContentLength', message: 'request body length does not match its Content-Length' } }),
  FST_ERR_CTP_INVALID_JSON_BODY: malformedJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: malformedJson,
  FST_ERR_VALIDATION: (error) => ({ status: 400, body: { error: 'NotAnAdmissionReview', message: `request body is not an admission.k8s.io/v1 AdmissionReview: ${error.message}` } }),
};

/**
 * The answer to a request Node's HTTP parser refused before fastify saw it (smuggling
 * attempts, malformed request lines, oversized headers, timeouts). Undefined when no HTTP
 * answer is due: the peer reset the connection, or the error came from the socket or the TLS
 * layer, not from the bytes of a request (Node reports those as client errors too).
 */
export function clientErrorRejection(code: string | undefined): TransportRejection | undefined {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, body: { error: 'RequestTimeout', message: 'the request was not received in time; the connection is closed' } };
  }
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, body: { error: 'HeadersTooLarge', message: 'request headers are larger than the webhook accepts' } };
  if (code !== undefined && !code.startsWith('HPE_')) return undefined;
  return { status: 400, body: { error: 'MalformedHTTP', message: `the request is not valid HTTP/1.1 (${code ?? 'unknown parse error'}); the connection is closed` } };
}

/** A raw HTTP/1.1 response for a socket fastify never got a request object for. */
export function rawHttpResponse({ status, body }: TransportRejection, reasonPhrase: string): string {
  const json = JSON.stringify(body);
  return `HTTP/1.1 ${status} ${reasonPhrase}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`;
}

export const missingHost: TransportRejection = {
  status: 400,
  body: { error: 'MissingHost', message: 'an HTTP/1.1 request must carry a Host header' },
};

export function overloaded(reason: string): TransportRejection {
  return { status: 503, body: { error: 'Overloaded', message: `the webhook is at its limit (${reason}); retry shortly` } };
}

export function notFound(method: string, path: string, admissionPath: boolean): TransportRejection {
  return admissionPath
    ? { status: 405, body: { error: 'MethodNotAllowed', message: `${method} is not allowed on ${path}; send an AdmissionReview with POST` } }
    : { status: 404, body: { error: 'NotFound', message: `no route ${method} ${path}; the webhook serves POST /mutate, POST /validate, GET /healthz, GET /readyz, GET /metrics` } };
}

export const clientCertificateRequired: TransportRejection = {
  status: 401,
  body: { error: 'ClientCertificateRequired', message: 'this webhook accepts admission requests only from a client certificate signed by its --client-ca' },
};
