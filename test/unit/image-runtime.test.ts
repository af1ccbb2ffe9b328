// The benches measure the servers as the image runs them (bench/image-runtime.ts): this keeps
// the Dockerfile and that module in step, so a changed flag or allocator cannot go unmeasured.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { chooseAllocator, describeAllocator, imageEnvironment, imageNodeFlags, jemallocConf, parseAllocator } from '../../bench/image-runtime.ts';

const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
/** The runtime stage: everything after the last FROM. */
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

t.test("the image's ENTRYPOINT passes node exactly the flags the benches use", async (t) => {
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(runtimeStage)?.[1];
  t.ok(entrypoint, 'an exec-form ENTRYPOINT');
  const [command, ...args] = JSON.parse(entrypoint ?? '[]') as string[];
  t.equal(command, 'node');
  t.same(args.slice(0, -1), imageNodeFlags);
  t.equal(args.at(-1), '/app/dist/cli/main.js');
});

t.test("the image runs glibc's malloc with the settings the benches measure by default", async (t) => {
  t.notMatch(runtimeStage, /^ENV (LD_PRELOAD|MALLOC_CONF|MALLOC_[A-Z_]+_)=/m, 'no allocator preloaded, no jemalloc or legacy malloc variables');
  const imageEnv = Object.fromEntries([...runtimeStage.matchAll(/^ENV (\w+)=(\S+)$/gm)].map(([, name, value]) => [name, value]));
  t.same(imageEnv, { NODE_ENV: 'production', ...imageEnvironment }, 'the image sets exactly the environment the benches give the servers');
  t.same(chooseAllocator('glibc'), { allocator: 'glibc', env: imageEnvironment });
});

t.test('jemalloc, for comparison, is preloaded where installed and its absence is said', async (t) => {
  const choice = chooseAllocator('jemalloc');
  const library = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`;
  if (existsSync(library)) {
    t.same(choice.env, { LD_PRELOAD: library, MALLOC_CONF: jemallocConf });
    t.equal(choice.allocator, 'jemalloc');
    t.match(choice.note, /not the image's figures/);
  } else {
    t.same(choice, { allocator: 'glibc', env: imageEnvironment, note: choice.note });
    t.match(choice.note, /not installed here .*apt-get install libjemalloc2.*as the image does/);
  }
});

t.test('the benches read --allocator strictly and say what the servers run on', async (t) => {
  t.equal(parseAllocator('jemalloc'), 'jemalloc');
  t.throws(() => parseAllocator('tcmalloc'), { message: `--allocator must be glibc (the image's) or jemalloc, got "tcmalloc"` });
  t.equal(describeAllocator(chooseAllocator('glibc')), 'glibc, as the image runs it (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768)');
  t.equal(describeAllocator({ allocator: 'jemalloc', env: { LD_PRELOAD: '/lib/j.so', MALLOC_CONF: 'x:1' } }), "jemalloc (LD_PRELOAD=/lib/j.so MALLOC_CONF=x:1; not the image's)");
});
