// What the host looked like before a node started: the sysctls it will change and which of the
// fixed host paths existed. Written to the node's root before anything changes, so that a
// cleanup after a crashed run restores the same values a normal stop would.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { HOST_PATHS, SYSCTLS } from './layout.ts';

export interface HostState {
  /** sysctl name → value before the node (only those the kernel has). */
  readonly sysctls: Record<string, string>;
  /** The fixed host paths that did not exist before the node: removed on stop. */
  readonly createdPaths: readonly string[];
}

export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

export function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(sysctlPath(name), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function captureHostState(): HostState {
  const sysctls: Record<string, string> = {};
  for (const name of SYSCTLS) {
    const value = readSysctl(name);
    if (value !== undefined) sysctls[name] = value;
  }
  return { sysctls, createdPaths: HOST_PATHS.filter((path) => !existsSync(path)) };
}

export async function saveHostState(path: string, state: HostState): Promise<void> {
  await writeFile(path, `${JSON.stringify(state, null, 2)}\n`);
}

export function loadHostState(path: string): HostState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as HostState;
  } catch {
    return undefined;
  }
}
