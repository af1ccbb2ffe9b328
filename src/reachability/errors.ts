/**
 * A NetworkPolicy or ClusterNetworkPolicy the API server would refuse (unknown operator, malformed CIDR, a peer with
 * nothing in it). The engine refuses it too rather than guess what it was meant to say.
 * `path` names the field, e.g. `products-prod/allow-ui: spec.ingress[0].from[1]`.
 */
export class InvalidPolicyError extends Error {
  readonly path: string;
  /** The kind of the refused object, for the message the CLI prints. */
  readonly kind: 'NetworkPolicy' | 'ClusterNetworkPolicy';
  constructor(path: string, message: string, kind: InvalidPolicyError['kind'] = 'NetworkPolicy') {
    super(`${path}: ${message}`);
    this.name = 'InvalidPolicyError';
    this.path = path;
    this.kind = kind;
  }
}
