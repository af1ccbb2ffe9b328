/**
 * npm run node:cleanup: removes what a crashed real-node run left on this machine (processes,
 * containers, mounts, bridge, iptables chains, ipsets, cgroups, directories) and restores the
 * sysctls it changed. Waits for the node lock, so it never touches a node that is running.
 */
import { takeNodeLock } from './lock.ts';
import { cleanupHost } from './host-cleanup.ts';
import { nodeLayout } from './layout.ts';
import { findNodeParts } from './parts.ts';
import { nodeBinaries } from './node.ts';

const layout = nodeLayout();
const parts = await findNodeParts();
const lock = takeNodeLock(layout.lockPath, (line) => process.stderr.write(`${line}\n`));
await lock.acquired;
try {
  const report = await cleanupHost(layout, nodeBinaries(parts));
  process.stdout.write(report.actions.length === 0 ? 'node cleanup: nothing left behind\n' : report.actions.map((a) => `node cleanup: ${a}\n`).join(''));
} finally {
  await lock.release();
}
