/**
 * The seed scenario's objects (../shared/seed/network-policy-tutorial.txt), shared by the demo
 * and the tests: namespaces products-prod and products-stage, Deployments ui / business / db on
 * 8080 / 8081 / 8082, the webhook config that labels them by port, and a DNS pod labelled as
 * CoreDNS pods are. With a node, every container runs the probe image, listening on every
 * seed port and DNS so that only NetworkPolicies decide what connects.
 */
export const businessAccount = 'orders-api';
export const seedTiers = [
  { tier: 'ui', port: 8080, image: 'nginx:1.27' },
  { tier: 'business', port: 8081, image: 'registry.example.com/products/business:2.3' },
  { tier: 'db', port: 8082, image: 'registry.example.com/products/db:14' },
] as const;
export type SeedTier = (typeof seedTiers)[number];
/** The DNS pod's metrics port, which the DB tier may reach (egress stays inside the cluster). */
export const dnsMetricsPort = 9153;
/** What a probe container listens on: every seed port, DNS (TCP and UDP) and the DNS metrics port. */
export const probeServeArgs = ['serve', ...seedTiers.map((t) => String(t.port)), '53', String(dnsMetricsPort)];

/** The image a node runs every seed container from (imported, never pulled). */
export interface ProbeImage {
  readonly image: string;
}

/**
 * The webhook config of the demo: tier rules by the seed's service ports, and an entitlement:
 * tier=business (which seed-prod lets reach prod's DB from products-stage) is carried only by
 * pods running as the business service account.
 */
export function seedWebhookConfig(): string {
  return [
    'tierRules:',
    ...seedTiers.map((t) => `  - { name: port-${t.port}, tier: ${t.tier}, match: { ports: [${t.port}] } }`),
    'tierEntitlements:',
    `  business: [{ serviceAccounts: [${businessAccount}] }]`,
    '',
  ].join('\n');
}

/** What `kubectl create deployment T --image=I --port=P` writes (no tier label), or the probe image serving every port. */
export function seedDeployment(namespace: string, t: SeedTier, probe?: ProbeImage): Record<string, unknown> {
  const labels = { app: t.tier };
  const container = probe
    ? { name: t.tier, image: probe.image, imagePullPolicy: 'Never', args: probeServeArgs, ports: [{ containerPort: t.port }] }
    : { name: t.image.split('/').pop()?.split(':')[0], image: t.image, ports: [{ containerPort: t.port }] };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: t.tier, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { ...(t.tier === 'business' ? { serviceAccountName: businessAccount } : {}), containers: [container] },
      },
    },
  };
}

/** A pod labelled as CoreDNS pods are (k8s-app=kube-dns in kube-system): what allow-dns must reach. */
export function dnsPod(probe?: ProbeImage): Record<string, unknown> {
  const ports = [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53, protocol: 'TCP' }, { containerPort: dnsMetricsPort }];
  const container = probe
    ? { name: 'coredns', image: probe.image, imagePullPolicy: 'Never', args: probeServeArgs, ports }
    : { name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.12.0', ports };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: { containers: [container] },
  };
}
