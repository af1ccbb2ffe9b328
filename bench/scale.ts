/**
 * The reconciler at scale: the real cluster side (createClusterSide: caches, applier with its
 * client-side rate limit, reconciler, leader election) against bench/fake-apiserver.ts serving
 * N namespaces without policies. Measures the start-up backfill (every namespace gets its
 * baseline), the write rate the API server sees, and a periodic resync once converged.
 *
 *   node bench/scale.ts [--namespaces 10000] [--qps 1000] [--burst 100]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { AuditRecord } from '../src/audit/audit-log.ts';
import { createCertificateAuthority, issueCertificate } from '../src/certs/authority.ts';
import { createClusterSide } from '../src/cluster/cluster-side.ts';
import { parseConfig } from '../src/config/load.ts';
import { renderBaseline } from '../src/policy/baseline.ts';
import { startFakeApiServer } from './fake-apiserver.ts';

const { values } = parseArgs({ options: { namespaces: { type: 'string', default: '10000' }, qps: { type: 'string', default: '1000' }, burst: { type: 'string', default: '100' } } });
const namespaces = Number(values.namespaces);
const qps = Number(values.qps);
const burst = Number(values.burst);
const resyncSeconds = 10;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'netpol-hygiene-scale-'));
  try {
    const ca = await createCertificateAuthority('netpol-hygiene scale bench CA', 1);
    const leaf = await issueCertificate(ca, { commonName: 'fake-apiserver', ipAddresses: ['127.0.0.1'], usage: 'server', days: 1 });
    const server = await startFakeApiServer({ namespaces, cert: leaf.certPem, key: leaf.keyPem });
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'fake',
        clusters: [{ name: 'fake', cluster: { server: server.url, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
        users: [{ name: 'webhook', user: { token: 'bench' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'webhook' } }],
      }),
    );
    const config = parseConfig({ reconcile: { resyncSeconds, leaseDurationSeconds: 15, apiQps: qps, apiBurst: burst } });
    const perNamespace = renderBaseline('x', config.profiles[config.defaultProfile]!, config).length;
    const records: AuditRecord[] = [];
    const side = createClusterSide({ kubeconfig, config, audit: { write: (record) => void records.push(record) }, log: pino({ level: 'silent' }) });
    const started = performance.now();
    side.start();
    await server.writesReached(namespaces * perNamespace);
    const convergedMs = performance.now() - started;
    const rates = [...server.writesPerSecond.values()];
    const writesBefore = server.counts.policyWrites;
    const resyncBefore = side.metrics.reconciler?.().lastFullResync;
    // The next periodic resync finds every namespace converged from the caches: no API call.
    await new Promise((resolve) => setTimeout(resolve, (resyncSeconds + 3) * 1000));
    const resyncAfter = side.metrics.reconciler?.().lastFullResync;
    const { rss, heapUsed } = process.memoryUsage();
    const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;
    console.log(`${namespaces.toLocaleString('en-US')} namespaces x ${perNamespace} baseline policies, reconcile.apiQps ${qps}, apiBurst ${burst}`);
    console.log(`  backfill: ${(namespaces * perNamespace).toLocaleString('en-US')} policies applied in ${(convergedMs / 1000).toFixed(1)} s`);
    console.log(`  writes the API server saw: max ${Math.max(...rates)}/s, mean ${((namespaces * perNamespace) / (convergedMs / 1000)).toFixed(0)}/s (limit ${qps}/s + a burst of ${burst})`);
    console.log(`  repair records: ${records.filter((r) => r.event === 'repair').length} (one per repaired namespace and the backfill summary), events posted: ${server.counts.events}`);
    console.log(`  periodic resync after convergence (${resyncSeconds} s): ${resyncAfter !== resyncBefore ? 'ran' : 'did not run'}, API writes during it: ${server.counts.policyWrites - writesBefore}`);
    console.log(`  this process (caches of ${namespaces.toLocaleString('en-US')} namespaces and their policies): RSS ${mib(rss)}, heap used ${mib(heapUsed)}`);
    console.log(`  at the default reconcile.apiQps 50 the same backfill takes ~${Math.round((namespaces * (perNamespace + 1)) / 50 / 60)} min: cost grows as namespaces x (policies + 1 Event) / apiQps`);
    await side.stop();
    await server.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
