import { parseArgs } from 'node:util';
import type { UserInfo } from '../kube/admission-review.ts';
import { checkAll } from '../check/admission-check.ts';
import { type Candidate, CandidateError, candidateOf, type SourcedObject, sourcedObjects } from '../check/candidates.ts';
import { type CheckReport, checkJson, checkText } from '../check/render.ts';
import { SimulatedCluster } from '../check/simulated-cluster.ts';
import { ConfigError } from '../config/config-error.ts';
import { configPath } from '../config/config-path.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { parseClusterPolicy } from '../reachability/cluster-policy.ts';
import { type ClusterNetworkPolicyWire, isClusterNetworkPolicy } from '../reachability/cluster-policy-wire.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { readCluster } from './cluster-inventory.ts';
import { readManifests } from './manifests.ts';
import { asCommand, parseOutput, UsageError } from './reachability-input.ts';

/** Who applies the manifests unless --as says otherwise: an authenticated user in no admin group. */
export const defaultUser: UserInfo = { username: 'developer', groups: ['system:authenticated'] };

/**
 * `check`: the webhook's rules on manifests before they are applied. Exit 0 when every object
 * would be admitted (warnings included), 1 when any would be denied, 2 for bad input. Reads the
 * cluster with GET only; writes nothing anywhere.
 */
export async function runCheck(args: string[]): Promise<number> {
  return asCommand('check', async () => {
    const { values } = parseArgs({
      args,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        state: { type: 'string', multiple: true },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        config: { type: 'string' },
        namespace: { type: 'string', short: 'n', default: 'default' },
        as: { type: 'string' },
        'as-group': { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
      },
    });
    const output = parseOutput(values.output, ['text', 'json'] as const);
    if (values.filename === undefined || values.filename.length === 0) throw new UsageError('-f PATH... is required: the manifests to check');
    if (values.state !== undefined && values.kubeconfig !== undefined) throw new UsageError('give either --state PATH... or --kubeconfig FILE, not both');
    const config = asUserMistake(() => loadConfig(configPath(values.config)));
    const inputs = asUserMistake(() => sourcedObjects(readManifests(values.filename as string[])));
    refuseInvalidClusterPolicies(inputs);
    const candidates = candidatesOf(inputs, values.namespace);
    const cluster = await clusterFrom(values.state, { kubeconfig: values.kubeconfig, context: values.context }, config);
    const report: CheckReport = { results: await checkAll(candidates.checked, { config, cluster, user: userFrom(values.as, values['as-group']) }), skipped: candidates.skipped };
    process.stdout.write(output === 'json' ? checkJson(report) : checkText(report));
    return report.results.some((result) => result.verdict === 'denied') ? 1 : 0;
  });
}

/**
 * The webhook never reviews ClusterNetworkPolicies (cluster-scoped, an admin's), so they are
 * reported as skipped; one the API server would refuse is still a mistake in the input, exit 2,
 * as the engine (explain, reachability) would refuse it too.
 */
function refuseInvalidClusterPolicies(inputs: readonly SourcedObject[]): void {
  for (const { source, object } of inputs) {
    if (!isClusterNetworkPolicy(object)) continue;
    try {
      parseClusterPolicy(object as ClusterNetworkPolicyWire);
    } catch (error) {
      if (error instanceof InvalidPolicyError) throw new UsageError(`invalid ClusterNetworkPolicy ${source}: ${error.message}`);
      throw error;
    }
  }
}

/** A bad config file or a manifest the API server would refuse: the user's to fix, exit 2. */
function asUserMistake<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof CandidateError || error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function candidatesOf(inputs: readonly SourcedObject[], namespace: string): { checked: Candidate[]; skipped: SourcedObject[] } {
  const checked: Candidate[] = [];
  const skipped: SourcedObject[] = [];
  for (const input of inputs) {
    const candidate = asUserMistake(() => candidateOf(input, namespace));
    if (candidate === undefined) skipped.push(input);
    else checked.push(candidate);
  }
  return { checked, skipped };
}

/** --state manifests, the live cluster (read-only), or, with neither, a cluster assumed healthy. */
async function clusterFrom(state: readonly string[] | undefined, { kubeconfig, context }: { kubeconfig?: string; context?: string }, config: Config): Promise<SimulatedCluster> {
  if (state === undefined && kubeconfig === undefined) return SimulatedCluster.assumed(config);
  const sources = state === undefined ? await readCluster(kubeconfig, context) : readManifests(state);
  const objects = asUserMistake(() => sourcedObjects(sources)).map(({ object }) => object);
  return SimulatedCluster.given(objects, config);
}

function userFrom(username: string | undefined, groups: readonly string[] | undefined): UserInfo {
  if (username === undefined) {
    if (groups !== undefined) throw new UsageError('--as-group needs --as USER');
    return defaultUser;
  }
  return { username, groups: [...(groups ?? []), 'system:authenticated'] };
}
