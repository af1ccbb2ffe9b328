/** Raised when a config file cannot be used; `problems` names every bad path and why. */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** --config, else a non-empty NETPOL_HYGIENE_CONFIG, else undefined (the built-in defaults). */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.NETPOL_HYGIENE_CONFIG || undefined);
}
