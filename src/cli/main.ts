#!/usr/bin/env node
import { parseArgs } from 'node:util';

const usage = `netpol-hygiene — keeps every namespace behind a default-deny NetworkPolicy

Usage:
  netpol-hygiene serve  [--port 8443] [--host 0.0.0.0] --tls-cert FILE --tls-key FILE
                        [--config FILE] [--kubeconfig FILE] [--client-ca FILE]
                        [--max-body-bytes N] [--max-in-flight-requests N] [--max-in-flight-bytes N]
                        [--shutdown-delay-seconds 5]
  netpol-hygiene certs  --out-dir DIR [--dns NAME]... [--ip IP]... [--days N]
  netpol-hygiene render --namespace NS [--config FILE] [--profile NAME] [--ceiling]
  netpol-hygiene report [FILE|-]... [-o text|json|html] [--since TIME] [--until TIME]
                        [--namespace NS]... [--rule ID]... [--user NAME]...
                        [--cluster [--kubeconfig FILE] [--context NAME] [--config FILE]]
  netpol-hygiene reachability (-f PATH... | --kubeconfig FILE) [--port 80] [--protocol TCP|UDP|SCTP]
                        [-o table|json]
  netpol-hygiene explain --from NS/POD|IP --to NS/POD|IP --port N [--protocol P] [--config FILE]
                        (-f PATH... | --kubeconfig FILE) [-o text|json]
  netpol-hygiene diff   -f BEFORE... --after PATH... [--port N] [--protocol P] [-o text|json]
  netpol-hygiene check  -f PATH... [--state PATH... | --kubeconfig FILE [--context NAME]] [--config FILE]
                        [-n NS] [--as USER [--as-group G]...] [-o text|json]

The config file may also be given as NETPOL_HYGIENE_CONFIG; without one the built-in
defaults (the seed scenario) apply. Commands that read a kubeconfig take --context NAME and
accept exec credential plugins and auth-provider (OIDC) users, as kubectl does.
`;

type Command = (args: string[]) => Promise<number>;

// Loaded on demand: `serve` should not carry the certificate library in memory, nor
// `render` the HTTP server.
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.ts')).runServe,
  certs: async () => (await import('./certs.ts')).runCerts,
  render: async () => (await import('./render.ts')).runRender,
  report: async () => (await import('./report.ts')).runReport,
  reachability: async () => (await import('./reachability.ts')).runReachability,
  explain: async () => (await import('./explain.ts')).runExplain,
  diff: async () => (await import('./diff.ts')).runDiff,
  check: async () => (await import('./check.ts')).runCheck,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const load = command === undefined || !Object.hasOwn(commands, command) ? undefined : commands[command];
  if (load === undefined) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: false });
    process.stderr.write(usage);
    return values.help === true ? 0 : 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // serve resolves once shut down; a keep-alive socket or timer left behind must not keep it up.
    if (process.argv[2] === 'serve') process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`netpol-hygiene: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
