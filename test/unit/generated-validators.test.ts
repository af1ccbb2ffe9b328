import { readFileSync } from 'node:fs';
import t from 'tap';
import { generatedValidators } from '../../scripts/generate-validators.ts';

t.test('every generated validator is what its schema compiles to today', async (t) => {
  const root = new URL('../../', import.meta.url);
  for (const { path, source } of generatedValidators()) {
    t.equal(readFileSync(new URL(path, root), 'utf8'), source, `${path} is current (else run npm run generate:validators)`);
  }
});
