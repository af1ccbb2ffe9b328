/** --config, else a non-empty NETPOL_HYGIENE_CONFIG, else undefined (the built-in defaults). */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.NETPOL_HYGIENE_CONFIG || undefined);
}
