#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runCerts } from './certs.ts';
import { runRender } from './render.ts';
import { runServe } from './serve.ts';

const usage = `netpol-hygiene — keeps every namespace behind a default-deny NetworkPolicy

Usage:
  netpol-hygiene serve  [--port 8443] [--host 0.0.0.0] --tls-cert FILE --tls-key FILE
                        [--config FILE] [--kubeconfig FILE] [--max-body-bytes N]
  netpol-hygiene certs  --out-dir DIR [--dns NAME]... [--ip IP]... [--days N]
  netpol-hygiene render --namespace NS [--config FILE] [--profile NAME]

The config file may also be given as NETPOL_HYGIENE_CONFIG; without one the built-in
defaults (the seed scenario) apply.
`;

const commands: Record<string, (args: string[]) => Promise<number>> = { serve: runServe, certs: runCerts, render: runRender };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command === undefined ? undefined : commands[command];
  if (run === undefined) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: false });
    process.stderr.write(usage);
    return values.help === true ? 0 : 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps running until a signal; the others finish here.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`netpol-hygiene: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
