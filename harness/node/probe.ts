// Real packets from a pod: one `kubectl exec` runs the probe image's `probe probe`, which tries
// every target at once (see harness/node/images/probe).
import type { ControlPlane } from '../control-plane.ts';

export interface ProbeResult {
  /** IP:PORT/tcp or IP:PORT/udp */
  readonly target: string;
  readonly ok: boolean;
  readonly error?: string;
}

export function probeTarget(ip: string, port: number, protocol: 'TCP' | 'UDP'): string {
  return `${ip}:${port}/${protocol.toLowerCase()}`;
}

export async function probeFrom(cp: ControlPlane, pod: { namespace: string; name: string }, targets: readonly string[], timeout = '2s'): Promise<ProbeResult[]> {
  const result = await cp.kubectl(['exec', '-n', pod.namespace, pod.name, '--', '/probe', 'probe', `-timeout=${timeout}`, ...targets], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`probe from ${pod.namespace}/${pod.name} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as ProbeResult[];
}
