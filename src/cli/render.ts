import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { configPath, loadConfig, profileNamed } from '../config/load.ts';
import { renderBaseline } from '../policy/baseline.ts';

/** Prints the baseline NetworkPolicies a profile yields for a namespace, as multi-document YAML. */
export async function runRender(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { namespace: { type: 'string', short: 'n' }, config: { type: 'string' }, profile: { type: 'string' } },
  });
  if (values.namespace === undefined) {
    process.stderr.write('netpol-hygiene render: --namespace is required\n');
    return 2;
  }
  const config = loadConfig(configPath(values.config));
  const profileName = values.profile ?? config.defaultProfile;
  const profile = profileNamed(config, profileName);
  if (profile === undefined) {
    process.stderr.write(`netpol-hygiene render: profile "${profileName}" is not defined (${Object.keys(config.profiles).join(', ')})\n`);
    return 2;
  }
  const documents = renderBaseline(values.namespace, profile, config).map((policy) => stringify(policy).trimEnd());
  process.stdout.write(`---\n${documents.join('\n---\n')}\n`);
  return 0;
}
