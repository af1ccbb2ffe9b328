// The benches measure the servers as the image runs them (bench/image-runtime.ts): this keeps
// the Dockerfile and that module in step, so a changed flag or allocator cannot go unmeasured.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { chooseAllocator, imageNodeFlags } from '../../bench/image-runtime.ts';

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

t.test('the image installs jemalloc and preloads it, as the benches do', async (t) => {
  t.match(runtimeStage, /apt-get install -y --no-install-recommends libjemalloc2/);
  const preload = /^ENV LD_PRELOAD=(\S+)$/m.exec(runtimeStage)?.[1];
  t.equal(preload, '/usr/local/lib/libjemalloc.so.2');
  t.match(runtimeStage, `test -e ${preload}`, 'the build fails when the library is not there');
});

t.test('the benches preload jemalloc where it is installed, and say so where it is not', async (t) => {
  t.same(chooseAllocator('glibc'), { allocator: 'glibc', env: {} });
  const choice = chooseAllocator('jemalloc');
  const library = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`;
  if (existsSync(library)) {
    t.same(choice, { allocator: 'jemalloc', env: { LD_PRELOAD: library } });
  } else {
    t.equal(choice.allocator, 'glibc');
    t.same(choice.env, {});
    t.match(choice.note, /not installed here .*apt-get install libjemalloc2.*their RSS is not the image's/);
  }
});
