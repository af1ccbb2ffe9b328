// The node's binaries and image archives, as scripts/build-node.sh built them. The harness never
// builds (a cold build takes tens of minutes): when something is missing it says what to run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { repoRoot } from '../control-plane.ts';

export interface NodeParts {
  readonly kubelet: string;
  readonly kubeScheduler: string;
  readonly containerd: string;
  /** The dir holding containerd-shim-runc-v2 (containerd finds its shim on PATH). */
  readonly containerdShimDir: string;
  readonly ctr: string;
  readonly kubeRouter: string;
  readonly pauseImageArchive: string;
  readonly pauseImage: string;
  readonly probeImageArchive: string;
  readonly probeImage: string;
  readonly runc: string;
  readonly cniBinDir: string;
}

const keys: Record<keyof NodeParts, string> = {
  kubelet: 'KUBELET',
  kubeScheduler: 'KUBE_SCHEDULER',
  containerd: 'CONTAINERD',
  containerdShimDir: 'CONTAINERD_SHIM_DIR',
  ctr: 'CTR',
  kubeRouter: 'KUBE_ROUTER',
  pauseImageArchive: 'PAUSE_IMAGE_ARCHIVE',
  pauseImage: 'PAUSE_IMAGE',
  probeImageArchive: 'PROBE_IMAGE_ARCHIVE',
  probeImage: 'PROBE_IMAGE',
  runc: 'RUNC',
  cniBinDir: 'CNI_BIN_DIR',
};

/** Parses build-node.sh's KEY=value lines. */
export function parseParts(stdout: string): NodeParts {
  const values = new Map(
    stdout
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
  const entries = Object.entries(keys).map(([field, key]) => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`scripts/build-node.sh --paths printed no ${key}`);
    return [field, value];
  });
  return Object.fromEntries(entries) as NodeParts;
}

export async function findNodeParts(): Promise<NodeParts> {
  try {
    const { stdout } = await promisify(execFile)(join(repoRoot, 'scripts/build-node.sh'), ['--paths'], { cwd: repoRoot, timeout: 60_000 });
    return parseParts(stdout);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `node: the node's parts are not built${stderr ? ` (${stderr})` : ''}. ` +
        'Build them once with `npm run node:build` (scripts/build-node.sh; tens of minutes cold on 2 cores), then re-run.',
    );
  }
}
