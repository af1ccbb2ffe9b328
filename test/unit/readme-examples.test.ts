/**
 * The README's example command lines, run as printed, must print what the README shows; and the
 * example baselines must be what `render` gives today. So the docs a newcomer tries first
 * cannot rot.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from './cli-run.ts';

const root = new URL('../../', import.meta.url);
const cliPrefix = '$ npm run -s netpol-hygiene -- ';

interface Example {
  readonly args: readonly string[];
  readonly output: string;
}

/** Every ```console block of the README: its first line is the command, the rest its output. */
function readmeExamples(): Example[] {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  return [...readme.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map((block) => {
    const [command = '', ...output] = (block[1] ?? '').split('\n');
    if (!command.startsWith(cliPrefix)) throw new Error(`a console block of the README does not start with "${cliPrefix}": ${command}`);
    return { args: command.slice(cliPrefix.length).split(' '), output: output.join('\n') };
  });
}

t.test('every README example prints what the README shows', async (t) => {
  const examples = readmeExamples();
  t.equal(examples.length, 4, 'reachability, explain, diff and check');
  for (const example of examples) {
    const result = await runCli(example.args, '', { cwd: root.pathname });
    t.equal(result.stderr, '', `${example.args[0]}: nothing on stderr`);
    t.ok(result.status === 0 || (example.args[0] === 'check' && result.status === 1), `${example.args[0]}: exit ${result.status}`);
    t.equal(result.stdout, example.output, `netpol-hygiene ${example.args.join(' ')}`);
  }
});

t.test('the example baselines are what render gives each namespace', async (t) => {
  for (const [namespace, profile] of [
    ['products-prod', 'seed-prod'],
    ['products-stage', 'seed'],
  ] as const) {
    const rendered = await runCli(['render', '--namespace', namespace, '--profile', profile]);
    t.equal(rendered.status, 0);
    const file = readFileSync(new URL(`examples/seed/baseline-${namespace}.yaml`, root), 'utf8');
    const header = `# The baseline netpol-hygiene applies to ${namespace}: the output of\n#   netpol-hygiene render --namespace ${namespace} --profile ${profile}\n`;
    t.equal(file, header + rendered.stdout, `examples/seed/baseline-${namespace}.yaml`);
  }
});
