// `serve` reads its config in a short-lived child process (src/config/load-in-child.ts), so the
// YAML parser and the schema validator never load into the long-lived server. What it returns
// must be exactly what loadConfig returns or throws, and the server must not import them anyway.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfigInChild } from '../../src/config/load-in-child.ts';
import { loadConfig } from '../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-config-child-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/** What `load` rejects or throws with, as the fields a caller sees. */
async function failureOf(load: () => unknown): Promise<{ type: string; message: string; problems?: readonly string[] }> {
  try {
    await load();
  } catch (error) {
    return { type: (error as Error).constructor.name, message: (error as Error).message, problems: error instanceof ConfigError ? error.problems : undefined };
  }
  return { type: 'none', message: 'loaded fine' };
}

t.test('the built-in defaults and a custom file read exactly as loadConfig reads them', async (t) => {
  t.same(await loadConfigInChild(undefined), loadConfig());
  const custom = configFile(
    'custom.yaml',
    ['mode: warn', 'tierRules:', '  - name: web', '    tier: ui', '    match:', '      images: ["nginx*"]', 'exemptions:', '  namespaces: [kube-system, tools]', ''].join('\n'),
  );
  const config = await loadConfigInChild(custom);
  t.same(config, loadConfig(custom));
  t.equal(config.mode, 'warn');
  t.same(config.tierRules[0]?.match, { images: ['nginx*'] });
  t.same(config.exemptions.namespaces, ['kube-system', 'tools']);
});

t.test('an invalid file rejects with the ConfigError loadConfig throws: same message, every problem', async (t) => {
  const bad = configFile('bad.yaml', 'mode: strict\ntierLabel:\n  key: tier\n  values: [ui, Business!]\nsurprise: true\n');
  const inChild = await failureOf(() => loadConfigInChild(bad));
  t.same(inChild, await failureOf(() => loadConfig(bad)));
  t.equal(inChild.type, 'ConfigError');
  t.same(inChild.problems, ['(root): unknown field "surprise"', '/mode: must be one of enforce, warn, audit', '/tierLabel/values/1: must match pattern "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"']);

  const notYaml = configFile('not-yaml.yaml', 'mode: [enforce\n');
  t.same(await failureOf(() => loadConfigInChild(notYaml)), await failureOf(() => loadConfig(notYaml)));
  const missing = join(dir, 'missing.yaml');
  const absent = await failureOf(() => loadConfigInChild(missing));
  t.same(absent, await failureOf(() => loadConfig(missing)));
  t.match(absent.message, `invalid config ${missing}:\n  - cannot read file: ENOENT`);
});

t.test('a path that is not a file name is passed as one argument, never through a shell', async (t) => {
  const odd = configFile('odd name; $(touch pwned) `x`.yaml', 'mode: audit\n');
  t.equal((await loadConfigInChild(odd)).mode, 'audit');
  const dashes = configFile('--inspect.yaml', 'mode: warn\n');
  t.equal((await loadConfigInChild(dashes)).mode, 'warn', 'a name starting with dashes is a path, not a node flag');
});

/** The modules `from` imports at run time (type-only imports are erased), transitively; packages by name. */
function runtimeImports(from: string, seen = new Set<string>()): Set<string> {
  if (seen.has(from)) return seen;
  seen.add(from);
  const source = readFileSync(from, 'utf8');
  for (const [, specifier] of source.matchAll(/^(?:import|export) (?!type )[^;]*? from '([^']+)';/gms)) {
    if (specifier === undefined) continue;
    if (specifier.startsWith('.')) runtimeImports(resolve(dirname(from), specifier), seen);
    else seen.add(specifier);
  }
  return seen;
}

t.test('serve does not import the YAML parser or the config loader', async (t) => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const imported = runtimeImports(join(src, 'cli', 'serve.ts'));
  t.ok(imported.has(join(src, 'cluster', 'cluster-side.ts')), 'the walk follows imports (sanity)');
  t.ok(imported.has('fastify'), 'the walk sees packages (sanity)');
  for (const kept of ['yaml', join(src, 'config', 'load.ts'), join(src, 'config', 'config-validator.generated.ts')]) {
    t.notOk(imported.has(kept), `serve does not import ${kept}`);
  }
});

t.test('a reader that writes anything but its answer is an error that says so, not a crash', async (t) => {
  const saved = process.env.NODE_OPTIONS;
  // A preload that prints, as a NODE_OPTIONS left in the environment could.
  process.env.NODE_OPTIONS = "--import=data:text/javascript,process.stdout.write('hello-from-a-preload:')";
  t.teardown(() => {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  });
  const failure = await failureOf(() => loadConfigInChild(undefined));
  t.equal(failure.type, 'Error');
  t.match(failure.message, /^reading the config failed: the config reader wrote something other than its JSON answer: hello-from-a-preload:\{"config":/);
});
