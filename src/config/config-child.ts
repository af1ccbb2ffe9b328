/**
 * The process load-in-child.ts forks to read the config, so that the YAML parser and the schema
 * validator load here rather than in the long-lived server. Sends one answer over IPC, then
 * lets go of the channel so that it exits.
 */
import { ConfigError } from './config-error.ts';
import type { ConfigChildReply } from './load-in-child.ts';
import { loadConfig } from './load.ts';

function read(path: string | undefined): ConfigChildReply {
  try {
    return { config: loadConfig(path) };
  } catch (error) {
    if (error instanceof ConfigError) return { invalid: { source: error.source, problems: error.problems } };
    return { failure: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

process.send?.(read(process.argv[2]), () => process.disconnect());
