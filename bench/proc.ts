/**
 * Reading another process's memory and CPU time from /proc (Linux). The server's RSS is read
 * from outside, while it is under load, so the product needs no benchmark-only route.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux. */
const clockTicksPerSecond = 100;

function statusField(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

export function rssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** The anonymous part of its RSS: what a memory limit cannot reclaim (file-backed pages, the node binary, it can). */
export function anonRssKiB(pid: number): number | undefined {
  return statusField(pid, 'RssAnon');
}

/** The process's peak RSS since it started (high-water mark). */
export function peakRssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** User plus system CPU seconds the process has used so far, all threads. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest sample. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number | undefined } {
  let max: number | undefined;
  const sample = (): void => {
    const rss = rssKiB(pid);
    if (rss !== undefined) max = Math.max(max ?? 0, rss);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return max;
    },
  };
}

/** CPU seconds the whole machine has spent busy so far (all CPUs, /proc/stat), steal included. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * The peers (remote address:port, hex as the kernel prints it) of established TCP connections
 * to a local port, from /proc/net/tcp: sampled through a phase, their number is how many
 * connections, so TLS handshakes, the server was given (a port is not reused within seconds).
 */
export function tcpPeersOfPort(port: number): string[] {
  const wanted = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const peers: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local = '', remote = '', state = ''] = line.trim().split(/\s+/);
      if (state === '01' && local.endsWith(wanted)) peers.push(remote);
    }
  }
  return peers;
}

/** Samples tcpPeersOfPort every `everyMs` until stopped; returns how many distinct peers were seen. */
export function countConnections(port: number, everyMs = 20): { stop(): number } {
  const seen = new Set<string>();
  const sample = (): void => {
    for (const peer of tcpPeersOfPort(port)) seen.add(peer);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return seen.size;
    },
  };
}
