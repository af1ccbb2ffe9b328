/**
 * The no-op admission webhook: the ceiling of bench/apiserver.ts. A fastify HTTPS server that
 * answers `allowed: true` for the request's uid on /mutate and /validate, nothing else: no
 * schema, no rule, no audit record, no cluster cache. Registered with exactly our webhook
 * configurations, it is what kube-apiserver's webhook machinery costs a pod create with any
 * webhook at all, the limit no admission webhook can beat. Same certificate, body limit and
 * node flags as `serve` in the bench; it counts what it answered, for the bench to tell which
 * server kube-apiserver is calling.
 */
import Fastify from 'fastify';
import { defaultTransportLimits } from '../src/http/limits.ts';
import { admissionApiVersion } from '../src/kube/admission-review.ts';
import { serveForBenchmark, tlsFromArgs } from './child.ts';

const app = Fastify({
  https: { ...tlsFromArgs(), minVersion: 'TLSv1.2' },
  bodyLimit: defaultTransportLimits.maxBodyBytes,
});

const answered = { mutate: 0, validate: 0 };
interface Review {
  readonly request?: { readonly uid?: string };
}
for (const path of ['mutate', 'validate'] as const) {
  app.post<{ Body: Review }>(`/${path}`, async (request) => {
    answered[path]++;
    return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response: { uid: request.body.request?.uid ?? '', allowed: true } };
  });
}

/**
 * The same no-op, but answering the mutating call with the patch netpol-hygiene used to send for
 * a pod that carries its own tier label: the tier-source annotation. Registered in its place, it
 * measures what that patch alone costs kube-apiserver (bench/apiserver.ts, registration
 * `noop-annotating`).
 */
interface PodReview {
  readonly request?: { readonly uid?: string; readonly object?: { readonly metadata?: { readonly annotations?: Record<string, string> } } };
}
app.post<{ Body: PodReview }>('/mutate-annotating', async (request) => {
  answered.mutate++;
  const review = request.body.request;
  const patch = review?.object?.metadata?.annotations === undefined
    ? [{ op: 'add', path: '/metadata/annotations', value: { 'netpol-hygiene.io/tier-source': 'label' } }]
    : [{ op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'label' }];
  const response = { uid: review?.uid ?? '', allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
  return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response };
});

await serveForBenchmark(app, { stats: () => ({ ...answered }) });
