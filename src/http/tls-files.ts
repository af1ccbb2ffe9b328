import { readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

/** Which version of each file a pair was read from: a rename (Secret symlink swap) changes the inode, a rewrite the mtime. */
export interface PairVersion {
  readonly cert: string;
  readonly key: string;
}

/**
 * Reads a certificate and key and checks they belong together (createSecureContext refuses
 * a mismatched pair), so a half-written rotation is never served. The files' versions are
 * taken before they are read: a change that lands in between is seen as a change later.
 */
export function readTlsPair(certFile: string, keyFile: string): TlsPair & { notAfter: Date; version: PairVersion } {
  const version = { cert: versionOf(statSync(certFile)), key: versionOf(statSync(keyFile)) };
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  createSecureContext({ cert, key });
  return { cert, key, notAfter: new Date(new X509Certificate(cert).validTo), version };
}

interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The version the served pair was read from; changes are judged against it, not against a first poll. */
  readonly served: PairVersion;
}

/**
 * Watches the pair by polling stat, which follows the symlink swaps Kubernetes uses to update
 * mounted Secrets. On a change, `apply` receives the new pair; an unreadable or mismatched
 * pair is logged and the previous one kept. Returns a function that stops watching.
 *
 * Not fs.watchFile: it compares each poll with its own first stat, taken asynchronously after
 * the call, so a rotation between reading the pair and that first stat (start-up on a busy
 * host) was never noticed.
 */
export function watchTlsPair({ certFile, keyFile, served }: TlsFiles, apply: (pair: TlsPair & { notAfter: Date }) => void, log: Logger, intervalMs = 1000): () => void {
  let seen = served;
  let polling = false;
  const poll = async (): Promise<void> => {
    const now = await currentVersion(certFile, keyFile);
    if (now === undefined || (now.cert === seen.cert && now.key === seen.key)) return;
    seen = now;
    try {
      const pair = readTlsPair(certFile, keyFile);
      seen = pair.version;
      apply(pair);
      log.info({ certFile, notAfter: pair.notAfter.toISOString() }, 'serving certificate reloaded');
      warnIfExpired(pair.notAfter, log);
    } catch (error) {
      log.error({ certFile, keyFile, err: (error as Error).message }, 'serving certificate change not applied; still serving the previous one');
    }
  };
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void poll().finally(() => (polling = false));
  }, intervalMs).unref();
  return () => clearInterval(timer);
}

/** Undefined while a file is missing (mid-swap): the next poll looks again. */
async function currentVersion(certFile: string, keyFile: string): Promise<PairVersion | undefined> {
  try {
    const [cert, key] = await Promise.all([stat(certFile), stat(keyFile)]);
    return { cert: versionOf(cert), key: versionOf(key) };
  } catch {
    return undefined;
  }
}

const versionOf = (stats: { readonly ino: number; readonly mtimeMs: number; readonly size: number }): string => `${stats.ino}:${stats.mtimeMs}:${stats.size}`;

export function warnIfExpired(notAfter: Date, log: Logger): void {
  if (notAfter.getTime() < Date.now()) {
    log.error({ notAfter: notAfter.toISOString() }, 'serving certificate has expired: the API server will refuse to call the webhook until it is rotated');
  }
}
