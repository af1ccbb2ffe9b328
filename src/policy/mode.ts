import type { AdmissionRequest } from '../kube/admission-review.ts';
import { type Mode, modes } from '../config/types.ts';
import type { RuleContext } from './decision.ts';
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
