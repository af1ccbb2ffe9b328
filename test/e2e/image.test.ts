/**
 * The container image built from the Dockerfile, unchanged (scripts/build-image.sh; cached, so
 * instant when warm), run with podman as the Deployment runs its pod: uid 10001, read-only root
 * filesystem with only /tmp writable, no capabilities, 256Mi. It carries the name the manifests
 * deploy, its CLI works, and it serves: alive without cluster access but not ready, ready against
 * a real kube-apiserver, answering admission reviews as the source does, and stopping cleanly.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { type ControlPlane, repoRoot, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { type BuiltImage, type PodFiles, type ServingContainer, imageInPodman, podFiles, runInImage, serveInImage } from '../../harness/image.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { runCommand } from '../../harness/processes.ts';
import { startWebhook } from '../../harness/webhook.ts';
import { loadReview } from '../fixtures/load.ts';

let image: BuiltImage;
let cp: ControlPlane;
let dir: string;
const containers: ServingContainer[] = [];

// npm test builds the image first (pretest); run alone on a cold cache, this file builds it, which
// takes minutes.
t.setTimeout(60 * 60_000);

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-image-'));
  [image, cp] = await Promise.all([imageInPodman(), startControlPlane()]);
});

t.teardown(async () => {
  await Promise.all(containers.map((c) => c.stop()));
  await cp?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function serve(files: PodFiles, log: string): Promise<ServingContainer> {
  const container = await serveInImage(image, files, join(dir, log));
  containers.push(container);
  await waitFor('the container to answer /healthz', 120_000, [container.process], async () => (await container.request('GET', '/healthz')).status === 200);
  return container;
}

/** Docker's normalisation of an image reference, as the kubelet and containerd apply it. */
function normalised(reference: string): string {
  const named = reference.includes('/') ? reference : `docker.io/library/${reference}`;
  return /:[^/]+$/.test(named) || named.includes('@') ? named : `${named}:latest`;
}

t.test('the archive carries the image name the Deployment runs', async (t) => {
  const rendered = await kubectlOk(cp, ['kustomize', join(repoRoot, 'manifests/base')]);
  const deployment = parseAllDocuments(rendered).map((d) => d.toJS()).find((o) => o?.kind === 'Deployment');
  const deployed: string = deployment.spec.template.spec.containers[0].image;
  t.same(image.repoTags.map(normalised), [normalised(deployed)], `archive ${image.archive} is tagged ${deployed}`);
});

t.test('the archive is named by what the image is made of: a changed source is a new build, a changed doc is not', async (t) => {
  // A copy of what the Dockerfile reads, plus the scripts, outside the repository.
  const copy = mkdtempSync(join(dir, 'sources-'));
  for (const path of ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'config', 'scripts']) {
    cpSync(join(repoRoot, path), join(copy, path), { recursive: true });
  }
  const archiveFor = async (): Promise<string> => {
    const path = await runCommand(join(copy, 'scripts/build-image.sh'), ['--path']);
    t.equal(path.code, 0, `build-image.sh --path exits 0 ${path.stderr}`);
    return basename(path.stdout.trim());
  };
  t.equal(await archiveFor(), basename(image.archive), 'the same sources elsewhere: the archive already built');
  writeFileSync(join(copy, 'README.md'), 'not in the image\n');
  t.equal(await archiveFor(), basename(image.archive), 'a file the Dockerfile does not copy: the same archive');
  appendFileSync(join(copy, 'src/cli/main.ts'), '// changed\n');
  t.not(await archiveFor(), basename(image.archive), 'a changed source file: another archive');
});

t.test('the CLI runs in the image as the pod runs it: --help, and render prints what the source prints', async (t) => {
  const files = await podFiles(mkdtempSync(join(dir, 'cli-')));
  const help = await runInImage(image, files, ['--help']);
  t.equal(help.code, 0, '--help exits 0');
  t.match(help.stderr, /^netpol-hygiene — keeps every namespace behind a default-deny NetworkPolicy\n/, 'the usage text');

  const inImage = await runInImage(image, files, ['render', '--namespace', 'products-prod', '--config', '/etc/netpol-hygiene/config/config.yaml']);
  const fromSource = await runCommand(join(repoRoot, 'node_modules/.bin/node'), [
    join(repoRoot, 'src/cli/main.ts'), 'render', '--namespace', 'products-prod', '--config', join(repoRoot, 'manifests/base/config.yaml'),
  ]);
  t.equal(inImage.code, 0, `render exits 0 ${inImage.stderr}`);
  t.match(inImage.stdout, /name: default-deny\n {2}namespace: products-prod\n/, 'the default-deny policy');
  t.equal(inImage.stdout, fromSource.stdout, 'the image renders the same policies as the source');
});

t.test('without cluster access the pod is alive but not ready, and says why', async (t) => {
  const container = await serve(await podFiles(mkdtempSync(join(dir, 'alone-'))), 'alone.log');
  const ready = await container.request('GET', '/readyz');
  t.equal(ready.status, 503, '/readyz: 503');
  t.match(ready.json, { status: 'not ready', reason: /^no cluster access: / }, 'with the reason');
  t.equal(await container.stop(), 0, 'SIGTERM: exit code 0');
});

t.test('against a real kube-apiserver the pod becomes ready, answers reviews as the source does, and stops cleanly', async (t) => {
  const files = await podFiles(mkdtempSync(join(dir, 'cluster-')), { kubeconfigFrom: cp.kubeconfigPath });
  await kubectlOk(cp, ['create', 'namespace', 'netpol-hygiene']);
  const container = await serve(files, 'cluster.log');
  await waitFor('/readyz 200', 120_000, [container.process], async () => (await container.request('GET', '/readyz')).status === 200);
  const pid = await container.pid();
  const status = await runCommand('cat', [`/proc/${pid}/status`]);
  t.match(status.stdout, /\nNSpid:\t\d+\t1\n/, 'the webhook is pid 1 of the container: the runtime\'s SIGTERM reaches it');
  t.match(status.stdout, /\nUid:\t10001\t10001\t10001\t10001\n/, 'runs as uid 10001');
  t.match(status.stdout, /\nCapEff:\t0000000000000000\n/, 'with no capabilities');

  const source = await startWebhook(cp, { namespace: false });
  t.teardown(() => source.stop());
  const review = loadReview('namespace-create');
  const [fromImage, fromSource] = await Promise.all([container.request('POST', '/mutate', review), source.request('POST', '/mutate', review)]);
  t.equal(fromImage.status, 200, 'POST /mutate: 200');
  t.match(fromImage.json, { response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch' } }, 'allowed, with a patch');
  t.same(fromImage.json, fromSource.json, 'the same AdmissionReview response as the source');

  t.equal(await container.stop(), 0, 'SIGTERM: served through the shutdown delay, then exit code 0');
  t.match(container.process.tail(20), /shutting down: serving until endpoints drop this pod/, 'logged the shutdown');
});
