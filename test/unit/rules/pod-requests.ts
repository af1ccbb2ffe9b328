// Pod requests as the validating webhook sees them (DESIGN.md "Admission behaviour", Pod
// rows), each with every violation the registered rules find, in registry order. Each rule's
// test asks its rule alone and expects its own share; registry.test.ts asks them all.
import type { AdmissionRequest } from '../../../src/kube/admission-review.ts';
import type { Config } from '../../../src/config/types.ts';
import type { NetworkPolicy } from '../../../src/kube/network-policy.ts';
import { loadReview } from '../../fixtures/load.ts';
import { admissionRequest, configWith, managedDefaultDeny, networkPolicy, podObject, type PodOptions } from '../helpers.ts';
import type { Worded as Violation } from './ask.ts';

export const webFrontends = configWith({ tierRules: [{ name: 'web-frontends', tier: 'ui', match: { images: ['*/nginx:*'] } }] });
export const defaultTierConfig = configWith({ defaultTier: 'business' });
export const slashKeyConfig = configWith({ tierLabel: { key: 'example.com/tier', values: ['ui', 'business', 'db'] } });

export function podCreate(options: PodOptions): AdmissionRequest {
  return admissionRequest('Pod', { object: podObject(options) });
}

/** The Deployment's pod as the ReplicaSet controller creates it (generateName, no name). */
export function deploymentPod(): AdmissionRequest {
  return loadReview('pod-from-deployment').request;
}

export const protectedPolicies: readonly NetworkPolicy[] = [managedDefaultDeny];
export const deploymentSubject = 'pod "web-7f9c8d6b5-*" in namespace "products-prod"';

export const noTier = (subject: string): Violation => ({
  rule: 'POD-TIER',
  message: `POD-TIER: ${subject} has no "tier" label and no rule matched; set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace`,
});
export const invalidTier = (where: string): Violation => ({
  rule: 'POD-TIER',
  message: `POD-TIER: pod "app" in namespace "products-prod" has ${where}, which is not one of ui, business, db; set label tier=<ui|business|db>`,
});
export const unprotected = (pod: string, directions: string): Violation => ({
  rule: 'POD-PROTECTED',
  message: `POD-PROTECTED: namespace "products-prod" has no effective default-deny NetworkPolicy for ${directions}, so ${pod} would run unprotected; apply the baseline: netpol-hygiene render --namespace products-prod --profile seed | kubectl apply -f -`,
});

export interface PodCase {
  readonly name: string;
  readonly request: AdmissionRequest;
  readonly config?: Config;
  readonly namespaceLabels?: Record<string, string>;
  readonly policies: readonly NetworkPolicy[];
  readonly violations: Violation[];
}

export const podCases: readonly PodCase[] = [
  {
    name: 'a labelled pod in a protected namespace',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: protectedPolicies,
    violations: [],
  },
  {
    name: 'the Deployment fixture without a tier: named by its generateName',
    request: deploymentPod(),
    policies: protectedPolicies,
    violations: [noTier(deploymentSubject)],
  },
  {
    name: 'an invalid tier label',
    request: podCreate({ labels: { tier: 'frontend' } }),
    policies: protectedPolicies,
    violations: [invalidTier('label tier=frontend')],
  },
  {
    name: 'an invalid tier annotation',
    request: podCreate({ annotations: { 'netpol-hygiene.io/tier': 'cache' } }),
    policies: protectedPolicies,
    violations: [invalidTier('annotation netpol-hygiene.io/tier=cache')],
  },
  {
    name: 'an invalid namespace default tier',
    request: podCreate({}),
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'frontend' },
    policies: protectedPolicies,
    violations: [invalidTier('namespace default tier frontend')],
  },
  {
    name: 'an invalid label with a custom key and values',
    request: podCreate({ labels: { 'example.com/tier': 'edge' } }),
    config: configWith({ tierLabel: { key: 'example.com/tier', values: ['web', 'api'] }, profiles: { flat: { tiers: [] } }, defaultProfile: 'flat' }),
    policies: protectedPolicies,
    violations: [{ rule: 'POD-TIER', message: 'POD-TIER: pod "app" in namespace "products-prod" has label example.com/tier=edge, which is not one of web, api; set label example.com/tier=<web|api>' }],
  },
  {
    name: 'a namespace default tier but no label: the mutating webhook did not run',
    request: podCreate({}),
    namespaceLabels: { 'netpol-hygiene.io/default-tier': 'business' },
    policies: protectedPolicies,
    violations: [
      {
        rule: 'POD-TIER',
        message:
          'POD-TIER: pod "app" in namespace "products-prod" has no "tier" label although namespace-default gives tier=business; the mutating webhook mutate-pods.netpol-hygiene.io did not run, check its registration',
      },
    ],
  },
  {
    name: 'a labelled pod in a namespace without any policy',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: [],
    violations: [unprotected('pod "app"', 'ingress and egress')],
  },
  {
    name: 'a labelled pod where only ingress is denied',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: [networkPolicy('deny-in', { podSelector: {}, policyTypes: ['Ingress'] })],
    violations: [unprotected('pod "app"', 'egress')],
  },
  {
    name: 'a "default-deny" that allows everything is no protection',
    request: podCreate({ labels: { tier: 'ui' } }),
    policies: [networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] })],
    violations: [unprotected('pod "app"', 'ingress and egress')],
  },
  {
    name: 'the Deployment fixture without a tier in an unprotected namespace: both rules, in order',
    request: deploymentPod(),
    policies: [],
    violations: [noTier(deploymentSubject), unprotected('pod "web-7f9c8d6b5-*"', 'ingress and egress')],
  },
  {
    name: 'UPDATE is not judged',
    request: admissionRequest('Pod', { operation: 'UPDATE', object: podObject(), oldObject: podObject() }),
    policies: [],
    violations: [],
  },
];
