/**
 * JSON schema of the config file. ajv fills defaults from it, so a partial file (or none)
 * yields a complete Config. Its validator is compiled ahead of time into
 * config-validator.generated.ts (`npm run generate:validators`).
 */

const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } as const;
// A Kubernetes label value (also used for tier names, which become label values).
const labelValue = { type: 'string', pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$', maxLength: 63 } as const;
const labelKey = { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$', maxLength: 317 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, default: [] } as const;

const tierPeer = {
  type: 'object',
  additionalProperties: false,
  required: ['tier'],
  properties: { tier: labelValue, namespace: dnsLabel },
} as const;

const protocol = { enum: ['TCP', 'UDP', 'SCTP'], default: 'TCP' } as const;

// docs/ceiling.md: pods (of a tier, with labels) in a namespace or every namespace (`*`), or a CIDR.
const ceilingPeer = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tier: labelValue,
    namespace: { anyOf: [dnsLabel, { const: '*' }] },
    podLabels: { type: 'object', propertyNames: labelKey, additionalProperties: labelValue },
    cidr: { type: 'string', minLength: 1 },
  },
} as const;

const ceilingPort = {
  type: 'object',
  additionalProperties: false,
  properties: { protocol, port, endPort: port },
} as const;

function ceilingGrant(peers: 'from' | 'to') {
  return {
    type: 'object',
    additionalProperties: false,
    required: [peers, 'ports'],
    properties: {
      tiers: { type: 'array', items: labelValue, minItems: 1, uniqueItems: true },
      [peers]: { type: 'array', items: ceilingPeer, minItems: 1 },
      ports: { type: 'array', items: ceilingPort, minItems: 1 },
    },
  } as const;
}

const profileCeiling = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ingress: { type: 'array', items: ceilingGrant('from'), default: [] },
    egress: { type: 'array', items: ceilingGrant('to'), default: [] },
  },
} as const;

const tierEntitlement = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    serviceAccounts: { type: 'array', items: dnsLabel, minItems: 1 },
    namespaces: { type: 'array', items: dnsLabel, minItems: 1 },
    images: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  },
} as const;

const profile = {
  type: 'object',
  additionalProperties: false,
  required: ['tiers'],
  properties: {
    allowDns: { type: 'boolean', default: true },
    allowClusterEgress: { type: 'boolean', default: true },
    tiers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tier', 'port', 'from'],
        properties: {
          tier: labelValue,
          policyName: dnsLabel,
          port,
          protocol,
          from: { anyOf: [{ const: 'anywhere' }, { type: 'array', items: tierPeer, minItems: 1 }] },
        },
      },
    },
    ceiling: profileCeiling,
  },
} as const;

export const configSchema = {
  $id: 'https://netpol-hygiene.io/config.json',
  type: 'object',
  additionalProperties: false,
  required: ['profiles'],
  properties: {
    mode: { enum: ['enforce', 'warn', 'audit'], default: 'enforce' },
    webhook: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        namespace: { ...dnsLabel, default: 'netpol-hygiene' },
        serviceAccount: { ...dnsLabel, default: 'netpol-hygiene' },
      },
    },
    exemptions: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        namespaces: { type: 'array', items: dnsLabel, default: ['kube-system', 'kube-public', 'kube-node-lease'] },
        usernames: stringList,
        groups: stringList,
      },
    },
    adminGroups: { ...stringList, default: ['system:masters'] },
    tierLabel: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        key: { ...labelKey, default: 'tier' },
        values: { type: 'array', items: labelValue, minItems: 1, uniqueItems: true, default: ['ui', 'business', 'db'] },
      },
    },
    tierRules: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'tier', 'match'],
        properties: {
          name: dnsLabel,
          tier: labelValue,
          match: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              labels: { type: 'object', propertyNames: labelKey, additionalProperties: labelValue },
              images: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
              ports: { type: 'array', items: port, minItems: 1 },
              serviceAccounts: { type: 'array', items: dnsLabel, minItems: 1 },
              namespaces: { type: 'array', items: dnsLabel, minItems: 1 },
            },
          },
        },
      },
    },
    tierEntitlements: {
      type: 'object',
      propertyNames: labelValue,
      additionalProperties: { type: 'array', items: tierEntitlement, minItems: 1 },
    },
    defaultTier: labelValue,
    defaultProfile: { ...dnsLabel, default: 'seed' },
    profiles: {
      type: 'object',
      propertyNames: dnsLabel,
      additionalProperties: profile,
      minProperties: 1,
    },
    audit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { file: { type: 'string', minLength: 1 } },
    },
    reconcile: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        resyncSeconds: { type: 'integer', minimum: 10, default: 300 },
        leaseDurationSeconds: { type: 'integer', minimum: 2, default: 15 },
        // The reconciler's writes, client-side: what a backfill of many namespaces may ask of the API server.
        apiQps: { type: 'number', exclusiveMinimum: 0, default: 50 },
        apiBurst: { type: 'integer', minimum: 1, default: 100 },
      },
    },
  },
} as const;

/** How the validator is compiled: every problem reported at once, defaults filled in. */
export const configSchemaOptions = { allErrors: true, useDefaults: true, strict: true } as const;
