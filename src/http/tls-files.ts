import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * Reads a certificate and key and checks they belong together (createSecureContext refuses
 * a mismatched pair), so a half-written rotation is never served.
 */
export function readTlsPair(certFile: string, keyFile: string): TlsPair & { notAfter: Date } {
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  createSecureContext({ cert, key });
  return { cert, key, notAfter: new Date(new X509Certificate(cert).validTo) };
}

/**
 * Watches the pair by polling stat, which follows the symlink swaps Kubernetes uses to update
 * mounted Secrets. On a change, `apply` receives the new pair; an unreadable or mismatched
 * pair is logged and the previous one kept. Returns a function that stops watching.
 */
export function watchTlsPair(
  { certFile, keyFile }: { readonly certFile: string; readonly keyFile: string },
  apply: (pair: TlsPair & { notAfter: Date }) => void,
  log: Logger,
  intervalMs = 1000,
): () => void {
  const reload = (): void => {
    try {
      const pair = readTlsPair(certFile, keyFile);
      apply(pair);
      log.info({ certFile, notAfter: pair.notAfter.toISOString() }, 'serving certificate reloaded');
      warnIfExpired(pair.notAfter, log);
    } catch (error) {
      log.error({ certFile, keyFile, err: (error as Error).message }, 'serving certificate change not applied; still serving the previous one');
    }
  };
  const onChange = (current: { mtimeMs: number; ino: number }, previous: { mtimeMs: number; ino: number }): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino) reload();
  };
  watchFile(certFile, { interval: intervalMs }, onChange);
  watchFile(keyFile, { interval: intervalMs }, onChange);
  return () => {
    unwatchFile(certFile, onChange);
    unwatchFile(keyFile, onChange);
  };
}

export function warnIfExpired(notAfter: Date, log: Logger): void {
  if (notAfter.getTime() < Date.now()) {
    log.error({ notAfter: notAfter.toISOString() }, 'serving certificate has expired: the API server will refuse to call the webhook until it is rotated');
  }
}
