import type { FastifyError } from 'fastify';

/** The JSON body of every transport-level error: what went wrong and how to send it right. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

/**
 * Maps fastify's coded errors to the status DESIGN.md promises: a request that is not an
 * admission.k8s.io/v1 AdmissionReview never reaches the rules.
 */
export function transportError(error: FastifyError): { status: number; body: ErrorBody } {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: 'PayloadTooLarge', message: 'request body is larger than the webhook accepts (--max-body-bytes)' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: 'UnsupportedMediaType', message: 'content type must be application/json' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: 'MalformedJSON', message: `request body is not valid JSON: ${error.message}` } };
    case 'FST_ERR_VALIDATION':
      return { status: 400, body: { error: 'NotAnAdmissionReview', message: `request body is not an admission.k8s.io/v1 AdmissionReview: ${error.message}` } };
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { status: 400, body: { error: 'MalformedJSON', message: `request body is not valid JSON: ${error.message}` } };
  }
  return { status: 500, body: { error: 'InternalError', message: 'internal error; see the webhook log' } };
}
