import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { createCertificateAuthority, issueCertificate } from '../../src/certs/authority.ts';
import { readTlsPair, watchTlsPair } from '../../src/http/tls-files.ts';

t.test('a rotation that lands between reading the pair and watching it is still applied', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-tls-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCertificateAuthority('rotation-ca');
  const [first, second] = await Promise.all([1, 2].map(() => issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usage: 'server' })));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, first!.certPem);
  writeFileSync(keyFile, first!.keyPem);

  const served = readTlsPair(certFile, keyFile);
  // The Secret is updated before the watcher starts, as on a busy host's start-up.
  for (const [file, contents] of [[certFile, second!.certPem], [keyFile, second!.keyPem]] as const) {
    writeFileSync(`${file}.new`, contents);
    renameSync(`${file}.new`, file);
  }
  const applied: string[] = [];
  const stop = watchTlsPair({ certFile, keyFile, served: served.version }, (pair) => applied.push(pair.cert), pino({ level: 'silent' }), 20);
  t.teardown(stop);
  const deadline = performance.now() + 60_000;
  while (applied.length === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(applied, [second!.certPem], 'the second certificate is served');
});
