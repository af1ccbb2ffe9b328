import { parseArgs } from 'node:util';
import { type ConnectionChange, type ConnectionDiff, describePorts, diffConnections, portRuns } from '../reachability/diff.ts';
import { type Protocol, protocols } from '../reachability/model.ts';
import { buildWorld, type World } from '../reachability/world.ts';
import { readManifests } from './manifests.ts';
import { asCommand, inputOptions, loadWorld, parseOutput, parseProtocol, parseTraffic, UsageError, worldOf } from './reachability-input.ts';

/**
 * The connections between pods that a change adds and removes. BEFORE is `-f` (or the live
 * cluster); AFTER is `--after`, a complete input too, except that an AFTER without pods and
 * namespaces (only policies) is judged over BEFORE's pods and namespaces.
 */
export async function runDiff(args: string[]): Promise<number> {
  return asCommand('diff', async () => {
    const { values } = parseArgs({ args, options: { ...inputOptions, after: { type: 'string', multiple: true } } });
    const output = parseOutput(values.output, ['text', 'json'] as const);
    if (values.after === undefined || values.after.length === 0) throw new UsageError('--after PATH... is required');
    const before = await loadWorld(values.filename, values.kubeconfig, values.context);
    const after = withPodsOf(worldOf(readManifests(values.after)), before);
    const selected: readonly Protocol[] = values.protocol === undefined ? protocols : [parseProtocol(values.protocol) as Protocol];
    const diffs = selected.map((protocol) => diffConnections(before, after, protocol, values.port === undefined ? portRuns([before, after], protocol) : single(values.port)));
    const undetermined = diffs.flatMap((d) => d.undetermined ?? []);
    const merged: ConnectionDiff = { added: diffs.flatMap((d) => d.added), removed: diffs.flatMap((d) => d.removed), ...(undetermined.length > 0 ? { undetermined } : {}) };
    process.stdout.write(output === 'json' ? `${JSON.stringify(merged)}\n` : diffText(merged));
    return 0;
  });
}

function single(port: string): [number, number][] {
  const { port: number } = parseTraffic(port, undefined);
  return [[number, number]];
}

function withPodsOf(after: World, before: World): World {
  if (after.pods.length > 0 || after.namespaces.size > 0) return after;
  return buildWorld({ namespaces: [...before.namespaces.values()], pods: before.pods, policies: after.policies, clusterPolicies: after.clusterPolicies, nodes: before.nodes });
}

export function diffText(diff: ConnectionDiff): string {
  const undetermined = diff.undetermined ?? [];
  if (diff.added.length === 0 && diff.removed.length === 0 && undetermined.length === 0) return 'no connection between pods changes\n';
  const line = (sign: string) => (change: ConnectionChange): string => `${sign} ${change.from} → ${change.to} ${change.protocol} ${describePorts(change.ports)}`;
  const open = undetermined.map((change) => `${line('?')(change)} (undetermined: see explain)`);
  return `${[...diff.added.map(line('+')), ...diff.removed.map(line('-')), ...open].join('\n')}\n`;
}
