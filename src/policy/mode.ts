import type { AdmissionRequest } from '../kube/admission-review.ts';
import { type Mode, modes } from '../config/types.ts';
import { ClusterStateUnavailableError, type RuleContext } from './decision.ts';
import { labels } from '../kube/vocabulary.ts';

/**
 * The mode a decision goes out in: the namespace's netpol-hygiene.io/mode label, else the
 * config's. For a Namespace request it is the namespace as it stood *before* the request, so
 * relabelling a namespace to `audit` cannot wave its own violation through.
 */
export function modeFor(request: AdmissionRequest, { config, cluster }: RuleContext): Mode {
  const isNamespace = request.kind.kind === 'Namespace' && request.kind.group === '';
  const namespaceLabels = isNamespace ? request.oldObject?.metadata?.labels : cluster.namespace(request.namespace ?? '')?.labels;
  const requested = namespaceLabels?.[labels.mode];
  return requested !== undefined && (modes as readonly string[]).includes(requested) ? (requested as Mode) : config.mode;
}

/** The mode, read before the rules run; or why it could not be read, kept until it matters. */
export type ModeResolution = { readonly mode: Mode } | { readonly failure: unknown; readonly fallback: Mode };

export function resolveMode(request: AdmissionRequest, context: RuleContext): ModeResolution {
  try {
    return { mode: modeFor(request, context) };
  } catch (failure) {
    return { failure, fallback: context.config.mode };
  }
}

/**
 * The mode to route a decision by. Without a violation the mode is only recorded, so missing
 * cluster state is no reason to fail: the config's mode is recorded instead. With one, the
 * request is refused as the failure says (the handler fails closed).
 */
export function routingMode(resolution: ModeResolution, violated: boolean): Mode {
  if ('mode' in resolution) return resolution.mode;
  if (!violated && resolution.failure instanceof ClusterStateUnavailableError) return resolution.fallback;
  throw resolution.failure;
}
