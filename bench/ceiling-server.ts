/**
 * The ceiling: what fastify over HTTPS can do on this machine with nothing of ours in it.
 * Same certificate, same body limit, same keep-alive defaults as the webhook, and the body is
 * still parsed by fastify's JSON parser (any webhook must read the review), but there is no
 * schema validation, no rule, no audit record: the answer is a constant AdmissionReview.
 * The webhook's peak is judged as a fraction of this one, measured in the same run.
 */
import Fastify from 'fastify';
import { defaultTransportLimits } from '../src/http/limits.ts';
import { admissionApiVersion } from '../src/kube/admission-review.ts';
import { serveForBenchmark, tlsFromArgs } from './child.ts';

const app = Fastify({
  https: { ...tlsFromArgs(), minVersion: 'TLSv1.2' },
  bodyLimit: defaultTransportLimits.maxBodyBytes,
});

const answer = { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response: { uid: 'ceiling', allowed: true } };
for (const path of ['/mutate', '/validate']) app.post(path, async () => answer);

await serveForBenchmark(app);
