// Removes every trace of a node from the host: its processes and containers, mounts (and with
// them the pods' network namespaces and veths), the bridge, iptables chains and ipsets, the
// kubepods cgroups, its directories, and the sysctls as they were. The same code runs on a
// normal stop and for the leftovers of a crashed run (found through the node's state file),
// always under the node lock, so nothing here can belong to a live node.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../processes.ts';
import { BRIDGE, type NodeLayout } from './layout.ts';
import { type HostState, loadHostState, sysctlPath } from './host-state.ts';

/** Chains of kube-router (KUBE-ROUTER-*, KUBE-POD-FW-*, KUBE-NWPLCY-*), the kubelet (KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT, KUBE-FIREWALL) and CNI plugins (CNI-*). */
const OWN_CHAIN = /^(KUBE-|CNI-)/;
/** kube-router's ipsets. */
const OWN_IPSET = /^(KUBE-|kube-router)/;

export interface CleanupReport {
  /** One line per thing removed or restored, for the log. */
  readonly actions: string[];
}

export async function cleanupHost(layout: NodeLayout, binaries: readonly string[], state = loadHostState(layout.statePath)): Promise<CleanupReport> {
  const actions: string[] = [];
  const errors: string[] = [];
  // Every step runs even when an earlier one failed (a chain still referenced must not keep the
  // sysctls from being restored); the failures are thrown together at the end.
  const step = async (run: () => unknown): Promise<void> => {
    try {
      await run();
    } catch (error) {
      errors.push((error as Error).message);
    }
  };
  await step(() => killAll(binaries, actions));
  await step(() => unmountUnder([layout.root, '/run/containerd'], actions));
  await step(() => removeBridge(actions));
  for (const iptables of ['iptables-nft', 'iptables-legacy']) await step(() => removeChains(iptables, actions));
  await step(() => removeIpsets(actions));
  await step(() => removeCgroups(actions));
  await step(() => removeContainerLogLinks(layout, actions));
  if (state) await step(() => restore(state, actions));
  // The state file lives in the root: kept while anything failed, so that the next cleanup can still restore.
  if (errors.length > 0) throw new Error(`node cleanup left traces:\n${errors.join('\n')}\n(done: ${actions.join('; ')})`);
  if (existsSync(layout.root)) {
    await rm(layout.root, { recursive: true, force: true, maxRetries: 3 });
    actions.push(`removed ${layout.root}`);
  }
  return { actions };
}

/** Processes of the node's binaries (shims included), then whatever still runs in kubepods cgroups. */
async function killAll(binaries: readonly string[], actions: string[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = [...pidsRunning(binaries), ...pidsInCgroups(kubepodsDirs())];
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        const what = describe(pid);
        process.kill(pid, 'SIGKILL');
        if (round === 0) actions.push(`killed ${pid} (${what})`);
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`node cleanup: processes survive SIGKILL: ${[...pidsRunning(binaries), ...pidsInCgroups(kubepodsDirs())].join(' ')}`);
}

function describe(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 2).join(' ');
  } catch {
    return '?';
  }
}

function pidsRunning(binaries: readonly string[]): number[] {
  const wanted = new Set(binaries);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return wanted.has(readlinkSync(`/proc/${name}/exe`));
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** Every kubepods cgroup dir in every hierarchy, deepest first. */
function kubepodsDirs(): string[] {
  const dirs: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
    dirs.push(dir);
  };
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const top = join('/sys/fs/cgroup', hierarchy, 'kubepods');
    if (existsSync(top) && lstatSync(top).isDirectory()) walk(top);
  }
  return dirs;
}

function pidsInCgroups(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) {
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(pid));
    } catch {
      // removed meanwhile
    }
  }
  return [...pids];
}

function removeCgroups(actions: string[]): void {
  const dirs = kubepodsDirs();
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // a parent of one that failed; reported below
    }
  }
  const left = kubepodsDirs();
  if (dirs.length > 0) actions.push(`removed ${dirs.length - left.length} kubepods cgroups`);
  if (left.length > 0) throw new Error(`node cleanup: cgroups left: ${left.slice(0, 5).join(' ')}`);
}

/** Mount points under any of the prefixes, deepest first (mountinfo escapes spaces as \040). */
function mountsUnder(prefixes: readonly string[]): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => prefixes.some((prefix) => point === prefix || point.startsWith(`${prefix}/`)))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(prefixes: readonly string[], actions: string[]): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(prefixes);
    if (points.length === 0) return;
    for (const point of points) {
      const result = await runCommand('umount', [point]);
      if (result.code !== 0) await runCommand('umount', ['--lazy', point]);
    }
    if (round === 0) actions.push(`unmounted ${points.length} mounts`);
  }
  const left = mountsUnder(prefixes);
  if (left.length > 0) throw new Error(`node cleanup: mounts left: ${left.slice(0, 5).join(' ')}`);
}

async function removeBridge(actions: string[]): Promise<void> {
  if (!existsSync(`/sys/class/net/${BRIDGE}`)) return;
  const result = await runCommand('ip', ['link', 'delete', BRIDGE]);
  if (result.code !== 0) throw new Error(`node cleanup: ip link delete ${BRIDGE}: ${result.stderr}`);
  actions.push(`removed bridge ${BRIDGE}`);
}

/**
 * iptables-restore --noflush per table: first the rules elsewhere that jump to an own chain,
 * then the own chains' rules, then the chains; one transaction per table.
 */
async function removeChains(iptables: string, actions: string[]): Promise<void> {
  const saved = await runCommand(`${iptables}-save`, []);
  if (saved.code !== 0) return;
  const script = iptablesRemovalScript(saved.stdout);
  if (script.removed.length === 0) return;
  const result = await runCommand(`${iptables}-restore`, ['--noflush'], { input: script.text });
  if (result.code !== 0) throw new Error(`node cleanup: ${iptables}-restore: ${result.stderr}\n${script.text}`);
  actions.push(`${iptables}: removed chains ${script.removed.join(' ')}`);
}

interface TableEdit {
  readonly name: string;
  readonly chains: string[];
  readonly jumps: string[];
}

/** Pure: an iptables-save dump in, the iptables-restore --noflush input that removes the own chains out. */
export function iptablesRemovalScript(dump: string): { text: string; removed: string[] } {
  const tables: TableEdit[] = [];
  for (const line of dump.split('\n')) readSaveLine(line, tables);
  const edits = tables.filter((t) => t.chains.length > 0);
  const out = edits.flatMap((t) => [`*${t.name}`, ...t.jumps, ...t.chains.map((c) => `-F ${c}`), ...t.chains.map((c) => `-X ${c}`), 'COMMIT']);
  return { text: out.length > 0 ? `${out.join('\n')}\n` : '', removed: edits.flatMap((t) => t.chains.map((c) => `${t.name}/${c}`)) };
}

/** One line of iptables-save: a table starts, an own chain is declared, or a rule elsewhere jumps to one. */
function readSaveLine(line: string, tables: TableEdit[]): void {
  if (line.startsWith('*')) tables.push({ name: line.slice(1), chains: [], jumps: [] });
  const table = tables.at(-1);
  if (table === undefined) return;
  const declared = /^:(\S+)/.exec(line)?.[1];
  if (declared !== undefined && OWN_CHAIN.test(declared)) table.chains.push(declared);
  const rule = /^-A (\S+) (?:.* )?-[jg] (\S+)/.exec(line);
  if (rule && !OWN_CHAIN.test(rule[1] as string) && OWN_CHAIN.test(rule[2] as string)) table.jumps.push(`-D${line.slice(2)}`);
}

async function removeIpsets(actions: string[]): Promise<void> {
  const listed = await runCommand('ipset', ['list', '-name']);
  if (listed.code !== 0) return;
  const names = listed.stdout.split('\n').filter((name) => OWN_IPSET.test(name));
  for (const name of names) {
    const result = await runCommand('ipset', ['destroy', name]);
    if (result.code !== 0) throw new Error(`node cleanup: ipset destroy ${name}: ${result.stderr}`);
  }
  if (names.length > 0) actions.push(`destroyed ${names.length} ipsets`);
}

/** The kubelet links every container's log into /var/log/containers; only links into the node's root are its. */
function removeContainerLogLinks(layout: NodeLayout, actions: string[]): void {
  const dir = '/var/log/containers';
  if (!existsSync(dir)) return;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (lstatSync(path).isSymbolicLink() && readlinkSync(path).startsWith(`${layout.podLogs}/`)) {
        rmSync(path);
        removed++;
      }
    } catch {
      // gone meanwhile
    }
  }
  if (removed > 0) actions.push(`removed ${removed} links in ${dir}`);
}

async function restore(state: HostState, actions: string[]): Promise<void> {
  for (const [name, value] of Object.entries(state.sysctls)) {
    const current = readFileSync(sysctlPath(name), 'utf8').trim();
    if (current === value) continue;
    await writeFile(sysctlPath(name), value);
    actions.push(`sysctl ${name} ${current} -> ${value}`);
  }
  for (const path of state.createdPaths) {
    if (!existsSync(path)) continue;
    await rm(path, { recursive: true, force: true });
    actions.push(`removed ${path}`);
  }
}

/**
 * What of a node is on the host right now, one line per kind of trace; empty when nothing is.
 * `before` is the host state captured before the node started (sysctls compared against it).
 */
export async function nodeTraces(layout: NodeLayout, binaries: readonly string[], before: HostState): Promise<string[]> {
  const traces: string[] = [];
  const add = (what: string, found: readonly string[]): void => {
    if (found.length > 0) traces.push(`${what} ${found.slice(0, 10).join(' ')}`);
  };
  add('processes', [...pidsRunning(binaries), ...pidsInCgroups(kubepodsDirs())].map(String));
  // The pods' network namespaces are mounts under the root (netns_mounts_under_state_dir), and
  // their veths go with them: no mounts, no namespaces, no veths.
  add('mounts', mountsUnder([layout.root, '/run/containerd']));
  add('bridge', existsSync(`/sys/class/net/${BRIDGE}`) ? [BRIDGE] : []);
  for (const iptables of ['iptables-nft', 'iptables-legacy']) add(`${iptables} chains`, iptablesRemovalScript((await runCommand(`${iptables}-save`, [])).stdout).removed);
  add('ipsets', (await runCommand('ipset', ['list', '-name'])).stdout.split('\n').filter((name) => OWN_IPSET.test(name)));
  add('cgroups', kubepodsDirs());
  add('paths', [layout.root, ...before.createdPaths].filter((path) => existsSync(path)));
  add('sysctls', Object.entries(before.sysctls).filter(([name, value]) => readFileSync(sysctlPath(name), 'utf8').trim() !== value).map(([name, value]) => `${name} (was ${value})`));
  return traces;
}
