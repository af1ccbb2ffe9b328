import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { configPath } from '../config/config-path.ts';
import { loadConfig } from '../config/load.ts';
import { profileNamed } from '../config/profiles.ts';
import { renderBaseline } from '../policy/baseline.ts';
import { ceilingDocument } from '../ceiling/document.ts';
import { ceilingFor } from '../ceiling/model.ts';

/** Prints the baseline NetworkPolicies a profile yields for a namespace, as multi-document YAML; with --ceiling, its ceiling. */
export async function runRender(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { namespace: { type: 'string', short: 'n' }, config: { type: 'string' }, profile: { type: 'string' }, ceiling: { type: 'boolean' } },
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
  if (values.ceiling === true) {
    const document = ceilingDocument(ceilingFor(values.namespace, profileName, profile, config));
    process.stdout.write(`# NP-CEILING: the most any NetworkPolicy in ${values.namespace} may allow (profile ${profileName}); docs/ceiling.md\n${stringify(document)}`);
    return 0;
  }
  const documents = renderBaseline(values.namespace, profile, config).map((policy) => stringify(policy).trimEnd());
  process.stdout.write(`---\n${documents.join('\n---\n')}\n`);
  return 0;
}
