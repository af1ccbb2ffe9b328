/**
 * Writes the JSON-schema validators the server uses as Ajv standalone code, compiled ahead of
 * time: `npm run generate:validators`. test/unit/generated-validators.test.ts fails when a
 * schema changed and its validator was not regenerated.
 *
 * Why ahead of time: compiling a schema at start-up (Ajv's code generation, then
 * `new Function` on its output) leaves ~9 MiB of RSS behind for the life of the process for
 * the config schema alone, allocator memory that is freed but never handed back, where
 * loading the same validator as a module costs ~0.3 MiB. The webhook's memory budget is
 * measured against a bare fastify server (DESIGN.md, "Performance targets").
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type Options } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { configSchema, configSchemaOptions } from '../src/config/schema.ts';
import { admissionReviewSchema, admissionReviewSchemaOptions } from '../src/kube/admission-review.ts';

interface GeneratedValidator {
  /** Relative to the repository root. */
  readonly path: string;
  readonly source: string;
}

const generators: readonly { path: string; schema: object; options: Options; from: string }[] = [
  { path: 'src/config/config-validator.generated.ts', schema: configSchema, options: configSchemaOptions, from: 'src/config/schema.ts' },
  { path: 'src/kube/admission-review-validator.generated.ts', schema: admissionReviewSchema, options: admissionReviewSchemaOptions, from: 'src/kube/admission-review.ts' },
];

export function generatedValidators(): GeneratedValidator[] {
  return generators.map(({ path, schema, options, from }) => {
    const ajv = new Ajv({ ...options, code: { source: true, esm: true } });
    // A module is strict already.
    const code = standaloneCode.default(ajv, ajv.compile(schema)).replace(/^"use strict";/, '');
    const header = [
      '// @ts-nocheck',
      `// Generated from ${from} by \`npm run generate:validators\` (Ajv standalone code); do not edit.`,
      // Ajv's runtime helpers (string length in code points) are CommonJS, named by require().
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
    ];
    return { path, source: `${header.join('\n')}\n${code}\n` };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('..', import.meta.url);
  for (const { path, source } of generatedValidators()) {
    writeFileSync(new URL(path, root), source);
    process.stdout.write(`wrote ${path} (${source.length} bytes)\n`);
  }
}
