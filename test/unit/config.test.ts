// DESIGN.md "Interfaces", Config: YAML validated with ajv; an invalid file names each bad
// path and why.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(yaml: string): string {
  const path = join(dir, `config-${++files}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** The problems of the ConfigError `load` throws; fails the test if it throws anything else. */
function problemsOf(t: Test, load: () => unknown): readonly string[] | undefined {
  try {
    load();
  } catch (error) {
    t.type(error, ConfigError, 'a ConfigError');
    return error instanceof ConfigError ? error.problems : undefined;
  }
  t.fail('expected a ConfigError, loaded fine');
  return undefined;
}

const seedProfiles: Config['profiles'] = {
  seed: {
    allowDns: true,
    allowClusterEgress: true,
    tiers: [
      { tier: 'ui', policyName: 'allow-ingress-to-ui', port: 8080, from: 'anywhere', protocol: 'TCP' },
      { tier: 'business', policyName: 'allow-ui-to-business', port: 8081, from: [{ tier: 'ui' }], protocol: 'TCP' },
      { tier: 'db', policyName: 'allow-business-to-db', port: 8082, from: [{ tier: 'business' }], protocol: 'TCP' },
    ],
  },
  'seed-prod': {
    allowDns: true,
    allowClusterEgress: true,
    tiers: [
      { tier: 'ui', policyName: 'allow-ingress-to-ui', port: 8080, from: 'anywhere', protocol: 'TCP' },
      { tier: 'business', policyName: 'allow-ui-to-business', port: 8081, from: [{ tier: 'ui' }], protocol: 'TCP' },
      { tier: 'db', policyName: 'allow-business-to-db', port: 8082, from: [{ tier: 'business' }, { tier: 'business', namespace: 'products-stage' }], protocol: 'TCP' },
    ],
  },
};

const builtin: Config = {
  mode: 'enforce',
  webhook: { namespace: 'netpol-hygiene', serviceAccount: 'netpol-hygiene' },
  exemptions: { namespaces: ['kube-system', 'kube-public', 'kube-node-lease'], usernames: [], groups: [] },
  adminGroups: ['system:masters'],
  tierLabel: { key: 'tier', values: ['ui', 'business', 'db'] },
  tierRules: [],
  defaultProfile: 'seed',
  profiles: seedProfiles,
  audit: {},
  reconcile: { resyncSeconds: 300, leaseDurationSeconds: 15, apiQps: 50, apiBurst: 100 },
};

t.test('the built-in defaults (config/default.yaml) reproduce the seed', async (t) => {
  t.strictSame(loadConfig(), builtin);
});

t.test('each load is a fresh object', async (t) => {
  const first = loadConfig();
  (first.tierLabel.values as string[]).push('cache');
  t.strictSame(loadConfig().tierLabel.values, ['ui', 'business', 'db']);
});

t.test('valid files', async (t) => {
  const cases: readonly { name: string; yaml: string; expected: Config }[] = [
    { name: 'an empty file is the built-in defaults', yaml: '', expected: builtin },
    { name: 'a comment-only file is the built-in defaults', yaml: '# nothing to change\n', expected: builtin },
    { name: 'a partial file keeps the built-in profiles', yaml: 'mode: audit\n', expected: { ...builtin, mode: 'audit' } },
    {
      name: 'a full custom file, defaults filled in where it is silent',
      yaml: `
mode: warn
webhook:
  namespace: platform
  serviceAccount: hygiene
exemptions:
  namespaces: [kube-system, monitoring]
  usernames: [ci-bot]
  groups: [platform-admins]
adminGroups: [platform-admins]
tierLabel:
  key: example.com/tier
  values: [web, api, data]
tierRules:
  - name: web-frontends
    tier: web
    match:
      images: ["*/nginx:*"]
      ports: [8080]
      labels:
        example.com/role: frontend
defaultTier: api
defaultProfile: three-tier
profiles:
  three-tier:
    allowClusterEgress: false
    tiers:
      - tier: web
        port: 8080
        from: anywhere
      - tier: api
        port: 9000
        from:
          - tier: web
      - tier: data
        policyName: api-to-data
        port: 5432
        protocol: SCTP
        from:
          - tier: api
          - tier: api
            namespace: batch
audit:
  file: /var/log/netpol-hygiene/audit.log
reconcile:
  resyncSeconds: 60
`,
      expected: {
        mode: 'warn',
        webhook: { namespace: 'platform', serviceAccount: 'hygiene' },
        exemptions: { namespaces: ['kube-system', 'monitoring'], usernames: ['ci-bot'], groups: ['platform-admins'] },
        adminGroups: ['platform-admins'],
        tierLabel: { key: 'example.com/tier', values: ['web', 'api', 'data'] },
        tierRules: [{ name: 'web-frontends', tier: 'web', match: { images: ['*/nginx:*'], ports: [8080], labels: { 'example.com/role': 'frontend' } } }],
        defaultTier: 'api',
        defaultProfile: 'three-tier',
        profiles: {
          'three-tier': {
            allowClusterEgress: false,
            allowDns: true,
            tiers: [
              { tier: 'web', port: 8080, from: 'anywhere', protocol: 'TCP' },
              { tier: 'api', port: 9000, from: [{ tier: 'web' }], protocol: 'TCP' },
              { tier: 'data', policyName: 'api-to-data', port: 5432, protocol: 'SCTP', from: [{ tier: 'api' }, { tier: 'api', namespace: 'batch' }] },
            ],
          },
        },
        audit: { file: '/var/log/netpol-hygiene/audit.log' },
        reconcile: { resyncSeconds: 60, leaseDurationSeconds: 15, apiQps: 50, apiBurst: 100 },
      },
    },
  ];
  for (const c of cases) {
    t.strictSame(loadConfig(configFile(c.yaml)), c.expected, c.name);
  }
});

/** A profile block with the given tiers, indented for `profiles:`. */
const threeTiers = `
    tiers:
      - tier: ui
        port: 8080
        from: anywhere
      - tier: business
        port: 8081
        from:
          - tier: ui`;

t.test('invalid files name every bad path and why', async (t) => {
  const cases: readonly { name: string; yaml: string; problems: string[] }[] = [
    { name: 'unknown top-level field', yaml: 'colour: blue\n', problems: ['(root): unknown field "colour"'] },
    { name: 'unknown nested field', yaml: 'webhook:\n  namespace: platform\n  port: 8443\n', problems: ['/webhook: unknown field "port"'] },
    { name: 'bad mode enum', yaml: 'mode: strict\n', problems: ['/mode: must be one of enforce, warn, audit'] },
    {
      name: 'several schema problems at once',
      yaml: 'mode: Enforce\ncolour: blue\ntierLabel:\n  values: []\nreconcile:\n  resyncSeconds: 5\n',
      problems: [
        '(root): unknown field "colour"',
        '/mode: must be one of enforce, warn, audit',
        '/tierLabel/values: must NOT have fewer than 1 items',
        '/reconcile/resyncSeconds: must be >= 10',
      ],
    },
    {
      name: 'tier of a rule, of the default and of a profile not in tierLabel.values',
      yaml: `
tierRules:
  - name: web
    tier: frontend
    match:
      images: ["*nginx*"]
defaultTier: backend
defaultProfile: p
profiles:
  p:
    tiers:
      - tier: cache
        port: 6379
        from:
          - tier: worker
`,
      problems: [
        '/defaultTier: tier "backend" is not one of tierLabel.values (ui, business, db)',
        '/tierRules/0/tier: tier "frontend" is not one of tierLabel.values (ui, business, db)',
        '/profiles/p/tiers/0/tier: tier "cache" is not one of tierLabel.values (ui, business, db)',
        '/profiles/p/tiers/0/from/0/tier: tier "worker" is not one of tierLabel.values (ui, business, db)',
      ],
    },
    {
      name: 'defaultProfile not defined under profiles',
      yaml: 'defaultProfile: strict\n',
      problems: ['/defaultProfile: profile "strict" is not defined under profiles (seed, seed-prod)'],
    },
    {
      name: 'defaultProfile not defined under the file\'s own profiles',
      yaml: `profiles:\n  tiered:${threeTiers}\n`,
      problems: ['/defaultProfile: profile "seed" is not defined under profiles (tiered)'],
    },
    {
      name: 'a profile named none',
      yaml: `defaultProfile: tiered\nprofiles:\n  tiered:${threeTiers}\n  none:\n    tiers: []\n`,
      problems: ['/profiles/none: "none" is reserved for opting out and cannot be defined'],
    },
    {
      name: 'duplicate policyName, explicit',
      yaml: `
defaultProfile: p
profiles:
  p:
    tiers:
      - tier: ui
        policyName: allow-web
        port: 8080
        from: anywhere
      - tier: business
        policyName: allow-web
        port: 8081
        from: anywhere
`,
      problems: ['/profiles/p/tiers/1/policyName: "allow-web" is already used by /profiles/p/tiers/0'],
    },
    {
      name: 'duplicate policyName, implied by the same tier twice',
      yaml: `
defaultProfile: p
profiles:
  p:
    tiers:
      - tier: ui
        port: 8080
        from: anywhere
      - tier: ui
        port: 8443
        from: anywhere
`,
      problems: ['/profiles/p/tiers/1/policyName: "allow-ingress-to-ui" is already used by /profiles/p/tiers/0'],
    },
    {
      // Label values may be Object.prototype member names; "constructor" is a valid DNS label too.
      name: 'defaultProfile "constructor" is not a defined profile',
      yaml: 'defaultProfile: constructor\n',
      problems: ['/defaultProfile: profile "constructor" is not defined under profiles (seed, seed-prod)'],
    },
    { name: 'a port out of range', yaml: `defaultProfile: p\nprofiles:\n  p:\n    tiers:\n      - tier: ui\n        port: 80800\n        from: anywhere\n`, problems: ['/profiles/p/tiers/0/port: must be <= 65535'] },
    {
      name: 'from neither "anywhere" nor a list',
      yaml: `defaultProfile: p\nprofiles:\n  p:\n    tiers:\n      - tier: ui\n        port: 8080\n        from: everywhere\n`,
      problems: ['/profiles/p/tiers/0/from: must be equal to constant', '/profiles/p/tiers/0/from: must be array', '/profiles/p/tiers/0/from: must match a schema in anyOf'],
    },
    { name: 'a tier rule without matchers', yaml: 'tierRules:\n  - name: r\n    tier: ui\n    match: {}\n', problems: ['/tierRules/0/match: must NOT have fewer than 1 properties'] },
    { name: 'the document is a list', yaml: '- mode: enforce\n', problems: ['(root): must be a mapping'] },
    { name: 'the document is a scalar', yaml: 'enforce\n', problems: ['(root): must be a mapping'] },
    {
      name: 'YAML syntax error',
      yaml: 'mode: enforce\ntierLabel:\n  key: tier\n  values: [ui, business\n',
      problems: ['not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 5, column 1:\n\n  values: [ui, business\n\n^\n'],
    },
  ];
  for (const c of cases) {
    const path = configFile(c.yaml);
    const problems = problemsOf(t, () => loadConfig(path));
    t.strictSame(problems, c.problems, c.name);
  }
});

t.test('the error message names the file and lists each problem', async (t) => {
  const path = configFile('mode: strict\ncolour: blue\n');
  t.throws(() => loadConfig(path), {
    name: 'ConfigError',
    message: `invalid config ${path}:\n  - (root): unknown field "colour"\n  - /mode: must be one of enforce, warn, audit`,
  });
});

t.test('a missing file', async (t) => {
  const path = join(dir, 'does-not-exist.yaml');
  t.strictSame(problemsOf(t, () => loadConfig(path)), [`cannot read file: ENOENT: no such file or directory, open '${path}'`]);
});

t.test('cross-field checks run only on a document the schema accepts', async (t) => {
  const path = configFile('colour: blue\ndefaultTier: frontend\n');
  t.strictSame(problemsOf(t, () => loadConfig(path)), ['(root): unknown field "colour"'], 'the bad defaultTier shows up once the schema passes');
});

t.test('an invalid profile name names the profile', async (t) => {
  const path = configFile(`defaultProfile: seed\nprofiles:\n  seed:${threeTiers}\n  Prod_1:${threeTiers}\n`);
  const problems = problemsOf(t, () => loadConfig(path)) ?? [];
  t.ok(
    problems.some((p) => p.includes('Prod_1')),
    'some problem names "Prod_1"',
    { found: problems },
  );
});

t.test('parseConfig', async (t) => {
  t.strictSame(parseConfig({ mode: 'warn' }), { ...builtin, mode: 'warn' }, 'a parsed document gets the built-in profiles');
  const document = { mode: 'warn' };
  parseConfig(document);
  t.strictSame(document, { mode: 'warn' }, 'the document is not modified (defaults go into a copy)');
  t.strictSame(
    problemsOf(t, () => parseConfig({ mode: 'warn' }, 'inline', 'none')),
    ["(root): must have required property 'profiles'"],
    'without built-in profiles, a document without profiles is a ConfigError, not a TypeError',
  );
});
