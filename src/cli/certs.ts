import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCertificateAuthority, issueCertificate } from '../certs/authority.ts';

/**
 * Writes ca.crt, ca.key, tls.crt, tls.key (keys 0600) and ca-bundle.b64 (the caBundle of a
 * webhook configuration). The serving certificate carries exactly the SANs asked for.
 */
export async function runCerts(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'out-dir': { type: 'string' },
      dns: { type: 'string', multiple: true, default: [] },
      ip: { type: 'string', multiple: true, default: [] },
      days: { type: 'string', default: '365' },
    },
  });
  const outDir = values['out-dir'];
  const days = Number(values.days);
  if (outDir === undefined) return fail('--out-dir is required');
  if (values.dns.length === 0 && values.ip.length === 0) return fail('give at least one --dns NAME or --ip IP for the serving certificate');
  if (!Number.isInteger(days) || days < 1) return fail(`--days must be a positive integer, got "${values.days}"`);
  const commonName = values.dns[0] ?? values.ip[0] ?? 'netpol-hygiene';
  const ca = await createCertificateAuthority('netpol-hygiene-ca', days);
  const leaf = await issueCertificate(ca, { commonName, dnsNames: values.dns, ipAddresses: values.ip, usage: 'server', days });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'ca.crt'), ca.certPem);
  writePrivate(join(outDir, 'ca.key'), ca.keyPem);
  writeFileSync(join(outDir, 'tls.crt'), leaf.certPem);
  writePrivate(join(outDir, 'tls.key'), leaf.keyPem);
  writeFileSync(join(outDir, 'ca-bundle.b64'), `${Buffer.from(ca.certPem).toString('base64')}\n`);
  process.stdout.write(`wrote ca.crt, ca.key, tls.crt, tls.key, ca-bundle.b64 to ${outDir} (SANs: ${[...values.dns.map((d) => `DNS:${d}`), ...values.ip.map((i) => `IP:${i}`)].join(', ')}; valid ${days} days)\n`);
  return 0;
}

function writePrivate(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  // writeFileSync's mode applies only when it creates the file.
  chmodSync(path, 0o600);
}

function fail(message: string): number {
  process.stderr.write(`netpol-hygiene certs: ${message}\n`);
  return 2;
}
