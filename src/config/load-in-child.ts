import { execFile } from 'node:child_process';
import { ConfigError } from './config-error.ts';
import type { Config } from './types.ts';

/** What config-child.ts writes to its stdout: the config, or why there is none. */
export type ConfigChildReply =
  | { readonly config: Config }
  | { readonly invalid: { readonly source: string; readonly problems: readonly string[] } }
  | { readonly failure: string };

/** A config file is small; a reader that takes longer than this is stuck, and serve should say so. */
const childTimeoutMs = 30_000;

// Run from source the modules are .ts (type stripping), compiled they are .js.
const childScript = new URL(`./config-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).pathname;

/**
 * loadConfig, run in a short-lived node process. The YAML parser and the config schema's
 * validator (~0.6 MB of JavaScript) are loaded, compiled and run there, and go when it exits;
 * in the server they would stay for the life of the process, with the compiled code and the
 * allocator memory they leave behind, which `npm run bench` counts against the RSS target.
 * A worker thread was tried first: its heap goes with it, but glibc keeps the malloc arena it
 * filled (idle RSS + 8 MiB). The config comes back as JSON, which is all a Config is.
 * Rejects with ConfigError exactly as loadConfig throws it.
 */
export function loadConfigInChild(path: string | undefined): Promise<Config> {
  return new Promise((resolve, reject) => {
    const args = [childScript, ...(path === undefined ? [] : [path])];
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, timeout: childTimeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error !== null) {
        const why = error.killed ? `no answer within ${childTimeoutMs / 1000} s` : error.message;
        reject(new Error(`reading the config failed: ${why}${stderr === '' ? '' : `\n${stderr}`}`));
        return;
      }
      let reply: ConfigChildReply;
      try {
        reply = JSON.parse(stdout) as ConfigChildReply;
      } catch {
        reject(new Error(`reading the config failed: the config reader wrote something other than its JSON answer: ${stdout.slice(0, 200)}`));
        return;
      }
      if ('config' in reply) resolve(reply.config);
      else if ('invalid' in reply) reject(new ConfigError(reply.invalid.source, reply.invalid.problems));
      else reject(new Error(`reading the config failed: ${reply.failure}`));
    });
  });
}
