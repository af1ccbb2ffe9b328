/**
 * Real packets for the seed's probes: one `kubectl exec` per source pod, all sources at once.
 * The I/O half of seed-packets.ts.
 */
import type { ControlPlane } from '../harness/control-plane.ts';
import { probeFrom, probeTarget } from '../harness/node/probe.ts';
import { type Observed, type Probe, probeKey } from './seed-packets.ts';

export async function observeProbes(cp: ControlPlane, probes: readonly Probe[]): Promise<Observed> {
  const bySource = new Map<string, Probe[]>();
  for (const probe of probes) {
    const key = `${probe.from.pod.namespace}/${probe.from.pod.name}`;
    bySource.set(key, [...(bySource.get(key) ?? []), probe]);
  }
  const observed = new Map<string, boolean>();
  await Promise.all(
    [...bySource.values()].map(async (group) => {
      const targetOf = (p: Probe): string => {
        const ip = p.to.pod.ips[0];
        if (ip === undefined) throw new Error(`${p.to.name} has no IP yet`);
        return probeTarget(ip, p.port, p.protocol === 'UDP' ? 'UDP' : 'TCP');
      };
      const results = await probeFrom(cp, (group[0] as Probe).from.pod, group.map(targetOf));
      const byTarget = new Map(results.map((r) => [r.target, r.ok]));
      for (const p of group) observed.set(probeKey(p), byTarget.get(targetOf(p)) ?? false);
    }),
  );
  return observed;
}

/** Whether real packets and the engine (as compareSeedMatrix reads it) agree on every probe. */
export function differingCells(failures: readonly string[]): number {
  return failures.filter((f) => f.includes('real packets')).length;
}
