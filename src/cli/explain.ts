import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { describeVerdict } from '../reachability/describe.ts';
import type { Endpoint } from '../reachability/model.ts';
import { evaluate } from '../reachability/verdict.ts';
import type { World } from '../reachability/world.ts';
import { ConfigError } from '../config/config-error.ts';
import { configPath } from '../config/config-path.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { aboveCeiling, describeAboveCeiling } from './explain-ceiling.ts';
import { asCommand, inputOptions, loadSources, parseOutput, parseTraffic, UsageError, worldOf } from './reachability-input.ts';

/** Whether one connection is allowed, and why, in sentences (or the verdict as JSON). */
export async function runExplain(args: string[]): Promise<number> {
  return asCommand('explain', async () => {
    const { values } = parseArgs({ args, options: { ...inputOptions, from: { type: 'string' }, to: { type: 'string' }, config: { type: 'string' } } });
    const output = parseOutput(values.output, ['text', 'json'] as const);
    if (values.from === undefined || values.to === undefined) throw new UsageError('--from and --to are required (NAMESPACE/POD or an IP address)');
    const traffic = parseTraffic(values.port, values.protocol);
    const config = readConfig(values.config);
    const sources = await loadSources(values.filename, values.kubeconfig, values.context);
    const world = worldOf(sources);
    const verdict = evaluate(world, resolveEndpoint(world, '--from', values.from), resolveEndpoint(world, '--to', values.to), traffic);
    const above = aboveCeiling(verdict, world, sources, config);
    const json = (): string => `${JSON.stringify({ ...verdict, aboveCeiling: above }, (_key, value: unknown) => (value === undefined ? null : value))}\n`;
    process.stdout.write(output === 'json' ? json() : describeVerdict(world, verdict) + describeAboveCeiling(above));
    return 0;
  });
}

/** The config the webhook runs with, to judge the admitting policies against their ceilings. */
function readConfig(path: string | undefined): Config {
  try {
    return loadConfig(configPath(path));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * NAMESPACE/POD names a pod of the input; an IP address is a pod's when some pod has it
 * (traffic by pod IP is that pod's traffic), and otherwise an address outside the cluster.
 */
export function resolveEndpoint(world: World, flag: string, text: string): Endpoint {
  if (isIP(text) !== 0) {
    const pod = world.podsByIp.get(text);
    return pod === undefined ? { ip: text } : { pod };
  }
  if (!/^[^/]+\/[^/]+$/.test(text)) throw new UsageError(`${flag} ${text}: give NAMESPACE/POD or an IP address`);
  const pod = world.podsByKey.get(text);
  if (pod === undefined) throw new UsageError(`${flag} ${text}: no such pod in the input (${describePods(world)})`);
  return { pod };
}

function describePods(world: World): string {
  const keys = [...world.podsByKey.keys()];
  if (keys.length === 0) return 'it has no pods';
  return `pods: ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? `, … ${keys.length - 10} more` : ''}`;
}
