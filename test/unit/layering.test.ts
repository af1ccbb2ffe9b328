// The layering docs/architecture.md draws ("Layers"), kept true: every import between folders of src/
// points down, and the pure layers reach no file reading, no schema compiling, no I/O.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';

const src = resolve(import.meta.dirname, '../../src');

/** Bottom to top: a folder may import from itself and from folders listed before it. */
const layers = ['kube', 'certs', 'reachability', 'config', 'ceiling', 'policy', 'audit', 'admission', 'metrics', 'cluster', 'http', 'report', 'check', 'cli'] as const;

/** What the pure decision code may reach, directly or through other files. */
const pureRoots = ['kube', 'reachability', 'ceiling', 'policy'];
// node:net is allowed: the engine uses its isIP, which parses and never connects.
const impureModules = ['src/config/load.ts', 'src/config/schema.ts', 'ajv', 'node:fs', 'fs', 'node:fs/promises', 'node:http', 'node:https', 'node:child_process', 'pino', 'fastify'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Static and dynamic imports, type-only ones included: a type import still couples the layers. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
  return specifiers.map((s) => (s.startsWith('.') ? relative(resolve(src, '..'), resolve(dirname(file), s)) : s));
}

const folderOf = (path: string): string => path.split('/')[1] ?? '';
const files = sourceFiles(src);
const graph = new Map(files.map((file) => [relative(resolve(src, '..'), file), importsOf(file)]));

t.test('every folder of src/ has a place in the layers', async (t) => {
  const folders = [...new Set([...graph.keys()].map(folderOf))].sort();
  t.same(folders.filter((folder) => !(layers as readonly string[]).includes(folder)), [], 'add new folders to `layers` here and to docs/architecture.md');
});

t.test('imports between folders only point down', async (t) => {
  const violations: string[] = [];
  for (const [file, imports] of graph) {
    const from = layers.indexOf(folderOf(file) as (typeof layers)[number]);
    for (const target of imports.filter((i) => i.startsWith('src/'))) {
      const to = layers.indexOf(folderOf(target) as (typeof layers)[number]);
      if (folderOf(target) !== folderOf(file) && to > from) violations.push(`${file} imports ${target}: ${folderOf(file)} sits below ${folderOf(target)}`);
    }
  }
  t.same(violations, []);
});

t.test('the pure layers read no file, compile no schema and do no I/O, however deep the imports go', async (t) => {
  const reached = (start: string): Set<string> => {
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(graph.get(next) ?? []));
    }
    return seen;
  };
  const problems: string[] = [];
  for (const file of [...graph.keys()].filter((f) => pureRoots.includes(folderOf(f)) || f === 'src/config/profiles.ts')) {
    const impure = [...reached(file)].filter((module) => impureModules.includes(module));
    if (impure.length > 0) problems.push(`${file} reaches ${impure.join(', ')}`);
  }
  t.same(problems, []);
});

t.test('the check itself sees imports, so it can fail', async (t) => {
  const handler = graph.get('src/admission/handler.ts') ?? [];
  t.ok(handler.includes('src/kube/admission-review.ts'));
  t.ok(handler.includes('src/policy/decision.ts'));
});
