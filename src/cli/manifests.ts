import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Composer, Parser } from 'yaml';
import type { SourcedObjects } from '../reachability/inventory.ts';

/** A file that cannot be read or parsed, named with the line of the problem when there is one. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads `-f` paths as kubectl does: files of any name, directories (their .yaml, .yml and .json
 * files, recursively, in name order), and `-` for standard input.
 */
export function readManifests(paths: readonly string[], stdin: () => string = () => readFileSync(0, 'utf8')): SourcedObjects[] {
  return paths.flatMap((path) => (path === '-' ? [parseManifest('<stdin>', stdin())] : expand(path).map((file) => parseManifest(file, readText(file)))));
}

function expand(path: string): string[] {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new ManifestError(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
  }
  if (!stats.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => (entry.isDirectory() ? expand(join(path, entry.name)) : manifestExtensions.has(extname(entry.name)) ? [join(path, entry.name)] : []));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`${file}: ${(error as Error).message}`);
  }
}

/** JSON for .json files (YAML would accept most of it but report JSON mistakes confusingly), YAML otherwise. */
export function parseManifest(source: string, text: string): SourcedObjects {
  return { source, objects: extname(source) === '.json' ? parseJson(source, text) : parseYaml(source, text) };
}

function parseJson(source: string, text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position === null ? undefined : text.slice(0, Number(position[1])).split('\n').length;
    throw new ManifestError(`${source}${line === undefined ? '' : `:${line}`}: invalid JSON: ${message.replace(/ \(line \d+ column \d+\)$/, '')}`);
  }
}

/**
 * Document by document (Parser → Composer), converting each to plain data before the next, so
 * a file of thousands of objects never holds thousands of YAML syntax trees at once.
 */
function parseYaml(source: string, text: string): unknown[] {
  const objects: unknown[] = [];
  const composer = new Composer();
  for (const document of composer.compose(new Parser().parse(text), true)) {
    const error = document.errors[0];
    if (error !== undefined) throw new ManifestError(`${source}:${lineAt(text, error.pos[0])}: invalid YAML: ${error.message.split('\n')[0]}`);
    const object = document.toJS() as unknown;
    if (object !== null && object !== undefined) objects.push(object);
  }
  return objects;
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
