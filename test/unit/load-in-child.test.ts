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

t.test('a path is passed as one argument, never through a shell or as a node flag', async (t) => {
  const odd = configFile('odd name; $(touch pwned) `x`.yaml', 'mode: audit\n');
  t.equal((await loadConfigInChild(odd)).mode, 'audit');
  configFile('--inspect.yaml', 'mode: warn\n');
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  t.equal((await loadConfigInChild('--inspect.yaml')).mode, 'warn', 'a relative name starting with dashes is a path');
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

t.test('serve, and the bench server that stands in for it, do not statically import the YAML parser or the config loader', async (t) => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const bench = fileURLToPath(new URL('../../bench/', import.meta.url));
  for (const server of [join(src, 'cli', 'serve.ts'), join(bench, 'webhook-server.ts')]) {
    const imported = runtimeImports(server);
    t.ok(imported.has(join(src, 'http', 'app.ts')), `the walk follows ${server}'s imports (sanity)`);
    t.ok(imported.has('pino'), 'the walk sees packages (sanity)');
    for (const kept of ['yaml', join(src, 'config', 'load.ts'), join(src, 'config', 'config-validator.generated.ts')]) {
      t.notOk(imported.has(kept), `${server} does not import ${kept}`);
    }
  }
});

/** Runs `body` with NODE_OPTIONS set, as a preload left in the environment would be; restores it after. */
async function withNodeOptions<T>(options: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = options;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
}

t.test('a preload that prints (an APM agent, say) does not disturb the answer', async (t) => {
  const config = await withNodeOptions("--import=data:text/javascript,process.stdout.write('hello-from-a-preload');console.error('and-on-stderr')", () => loadConfigInChild(undefined));
  t.same(config, loadConfig());
});

t.test('a reader that exits without answering, or hangs, is an error that says which', async (t) => {
  const exited = await withNodeOptions("--import=data:text/javascript,console.error('preload-gave-up');process.exit(3)", () => failureOf(() => loadConfigInChild(undefined)));
  t.same(exited, { type: 'Error', message: 'reading the config failed: the config reader exited (code 3) without an answer\npreload-gave-up', problems: undefined });
  const hung = await withNodeOptions('--import=data:text/javascript,setInterval(()=>{},1e3);await(new(Promise)(()=>{}))', () => failureOf(() => loadConfigInChild(undefined, { timeoutMs: 1500 })));
  t.same(hung, { type: 'Error', message: 'reading the config failed: no answer within 1.5 s', problems: undefined });
});
