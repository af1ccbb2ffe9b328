import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-error.ts';
import type { Config } from './types.ts';

/** What config-child.ts sends back over IPC: the config, or why there is none. */
export type ConfigChildReply =
  | { readonly config: Config }
  | { readonly invalid: { readonly source: string; readonly problems: readonly string[] } }
  | { readonly failure: string };

/** A config file is small; a reader that takes longer than this is stuck, and serve should say so. */
const defaultTimeoutMs = 30_000;

// Run from source the modules are .ts (type stripping), compiled they are .js.
const childScript = fileURLToPath(new URL(`./config-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/**
 * loadConfig, run in a short-lived node process. The YAML parser and the config schema's
 * validator (~0.6 MB of JavaScript) are loaded, compiled and run there, and go when it exits;
 * in the server they would stay for the life of the process, with the compiled code and the
 * allocator memory they leave behind, which `npm run bench` counts against the RSS target.
 * A worker thread was tried first: its heap goes with it, but glibc keeps the malloc arena it
 * filled (idle RSS + 8 MiB). The answer comes back over the IPC channel, not stdout, so that a
 * preload from NODE_OPTIONS (an APM agent, say) may print what it likes; the child gets none
 * of the server's node flags. Rejects with ConfigError exactly as loadConfig throws it.
 */
export function loadConfigInChild(path: string | undefined, { timeoutMs = defaultTimeoutMs } = {}): Promise<Config> {
  return new Promise((resolve, reject) => {
    const child = fork(childScript, path === undefined ? [] : [path], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let reply: ConfigChildReply | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('message', (message: ConfigChildReply) => {
      reply = message;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`reading the config failed: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply === undefined) {
        const how = timedOut ? `no answer within ${timeoutMs / 1000} s` : `the config reader exited (${signal ?? `code ${code}`}) without an answer`;
        reject(new Error(`reading the config failed: ${how}${stderr === '' ? '' : `\n${stderr.trimEnd()}`}`));
      } else if ('config' in reply) resolve(reply.config);
      else if ('invalid' in reply) reject(new ConfigError(reply.invalid.source, reply.invalid.problems));
      else reject(new Error(`reading the config failed: ${reply.failure}`));
    });
  });
}
