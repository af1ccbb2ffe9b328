import { inventoryOf, type SourcedObjects } from '../reachability/inventory.ts';
import { InvalidPolicyError } from '../reachability/errors.ts';
import { type Protocol, protocols, type Traffic } from '../reachability/model.ts';
import { buildWorld, type World } from '../reachability/world.ts';
import { readCluster } from './cluster-inventory.ts';
import { ManifestError, readManifests } from './manifests.ts';

/** The options reachability, explain and diff share. */
export const inputOptions = {
  filename: { type: 'string', short: 'f', multiple: true },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  port: { type: 'string' },
  protocol: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** A mistake in what the user gave: printed after the command's name, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The manifests named by `-f`, or the live cluster (--kubeconfig, $KUBECONFIG, in-cluster) when none are. */
export async function loadWorld(files: readonly string[] | undefined, kubeconfig: string | undefined, context?: string): Promise<World> {
  return worldOf(await loadSources(files, kubeconfig, context));
}

/** The objects of the manifests, or of the live cluster (read-only). */
export async function loadSources(files: readonly string[] | undefined, kubeconfig: string | undefined, context?: string): Promise<SourcedObjects[]> {
  if (files !== undefined && files.length > 0 && kubeconfig !== undefined) throw new UsageError('give either -f PATH... or --kubeconfig FILE, not both');
  return files !== undefined && files.length > 0 ? readManifests(files) : readCluster(kubeconfig, context);
}

export function worldOf(sources: readonly SourcedObjects[]): World {
  try {
    return buildWorld(inventoryOf(sources));
  } catch (error) {
    if (error instanceof InvalidPolicyError) throw new UsageError(`invalid ${error.kind} ${error.message}`);
    throw error;
  }
}

export function parseTraffic(port: string | undefined, protocol: string | undefined, defaultPort?: number): Traffic {
  const number = port === undefined ? defaultPort : Number(port);
  if (number === undefined) throw new UsageError('--port N is required');
  if (!Number.isInteger(number) || number < 1 || number > 65535) throw new UsageError(`--port ${port}: not a port number (1-65535)`);
  return { port: number, protocol: parseProtocol(protocol) ?? 'TCP' };
}

export function parseProtocol(protocol: string | undefined): Protocol | undefined {
  if (protocol === undefined) return undefined;
  const upper = protocol.toUpperCase();
  if (!protocols.includes(upper as Protocol)) throw new UsageError(`--protocol ${protocol}: not one of ${protocols.join(', ')}`);
  return upper as Protocol;
}

export function parseOutput<T extends string>(output: string | undefined, allowed: readonly T[]): T {
  const value = output ?? allowed[0];
  if (!allowed.includes(value as T)) throw new UsageError(`-o ${output}: not one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * Runs a command body, turning the errors a user can fix into one line on stderr and exit 2;
 * anything else (the API server unreachable, a bug) propagates to main, exit 1.
 */
export async function asCommand(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError || error instanceof ManifestError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      process.stderr.write(`netpol-hygiene ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}
