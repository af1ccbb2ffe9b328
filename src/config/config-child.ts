/** The process load-in-child.ts starts: reads the config named by its argument, writes it to stdout as JSON. */
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

process.stdout.write(JSON.stringify(read(process.argv[2])));
