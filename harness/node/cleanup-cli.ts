/**
 * npm run node:cleanup: removes what a crashed real-node run left on this machine (processes,
 * containers, mounts, bridge, iptables chains, ipsets, cgroups, directories) and restores the
 * sysctls it changed. Waits for the node lock, so it never touches a node that is running.
 */
import { takeNodeLock } from './lock.ts';
import { cleanupHost, nodeTraces } from './host-cleanup.ts';
import { loadHostState } from './host-state.ts';
import { nodeLayout } from './layout.ts';
import { findNodeParts } from './parts.ts';
import { nodeBinaries } from './node.ts';

const layout = nodeLayout();
const parts = await findNodeParts();
const lock = takeNodeLock(layout.lockPath, (line) => process.stderr.write(`${line}\n`));
await lock.acquired;
try {
  // Read before the cleanup removes it with the root: the sysctls are checked against it afterwards.
  const state = loadHostState(layout.statePath);
  const report = await cleanupHost(layout, nodeBinaries(parts), state);
  process.stdout.write(report.actions.length === 0 ? 'node cleanup: nothing to remove\n' : report.actions.map((a) => `node cleanup: ${a}\n`).join(''));
  const traces = await nodeTraces(layout, nodeBinaries(parts), state ?? { sysctls: {}, createdPaths: [] });
  for (const trace of traces) process.stdout.write(`node cleanup: left behind: ${trace}\n`);
  if (traces.length > 0) process.exitCode = 1;
} finally {
  await lock.release();
}
