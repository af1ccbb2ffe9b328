// Issue 9: admins widen a profile's ceiling in the config, validated like the rest; `render
// --ceiling` shows it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { configWith, defaultConfig } from './helpers.ts';

const seed = defaultConfig.profiles.seed;

function problemsOf(ceiling: unknown): readonly string[] {
  try {
    configWith({ profiles: { ...defaultConfig.profiles, seed: { ...seed, ceiling } } });
  } catch (error) {
    return (error as { problems?: readonly string[] }).problems ?? [(error as Error).message];
  }
  return [];
}

t.test('ceiling config: what is refused, by path', async (t) => {
  const cases: readonly [string, unknown, readonly string[]][] = [
    ['a valid grant of each kind', { ingress: [{ from: [{ namespace: '*', tier: 'ui' }], ports: [{ port: 9090 }] }], egress: [{ tiers: ['db'], to: [{ cidr: '2001:db8::/32' }], ports: [{ protocol: 'UDP' }] }] }, []],
    ['an unknown tier', { ingress: [{ tiers: ['gold'], from: [{ tier: 'silver' }], ports: [{ port: 1 }] }] }, [
      '/profiles/seed/ceiling/ingress/0/tiers/0: tier "gold" is not one of tierLabel.values (ui, business, db)',
      '/profiles/seed/ceiling/ingress/0/from/0/tier: tier "silver" is not one of tierLabel.values (ui, business, db)',
    ]],
    ['a CIDR that does not parse', { egress: [{ to: [{ cidr: '10.0.0.0/33' }], ports: [{ port: 443 }] }] }, ['/profiles/seed/ceiling/egress/0/to/0/cidr: "10.0.0.0/33" is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32']],
    ['a CIDR with pod fields', { egress: [{ to: [{ cidr: '10.0.0.0/8', tier: 'db' }], ports: [{ port: 443 }] }] }, ['/profiles/seed/ceiling/egress/0/to/0: cidr cannot be combined with tier, namespace or podLabels (a peer is either pods or addresses)']],
    ['a backwards range', { ingress: [{ from: [{}], ports: [{ port: 9100, endPort: 9000 }] }] }, ['/profiles/seed/ceiling/ingress/0/ports/0/endPort: 9000 is below port 9100']],
    ['endPort alone', { ingress: [{ from: [{}], ports: [{ endPort: 9000 }] }] }, ['/profiles/seed/ceiling/ingress/0/ports/0/endPort: needs a port to start from']],
    ['no ports', { ingress: [{ from: [{}] }] }, ["/profiles/seed/ceiling/ingress/0: must have required property 'ports'"]],
    ['a bad namespace', { ingress: [{ from: [{ namespace: 'Not_A_Name' }], ports: [{ port: 1 }] }] }, [
      '/profiles/seed/ceiling/ingress/0/from/0/namespace: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"',
      '/profiles/seed/ceiling/ingress/0/from/0/namespace: must be equal to constant',
      '/profiles/seed/ceiling/ingress/0/from/0/namespace: must match a schema in anyOf',
    ]],
  ];
  for (const [name, ceiling, problems] of cases) t.strictSame(problemsOf(ceiling), problems, name);
});

t.test('the commented examples in config/default.yaml are valid when uncommented', async (t) => {
  const text = readFileSync(new URL('../../config/default.yaml', import.meta.url), 'utf8');
  const uncommented = text
    .replace(/^# tierEntitlements:\n((?:#.*\n)+)/m, (_, body: string) => `tierEntitlements:\n${body.replace(/^#/gm, '')}`)
    .replace(/^ {4}# ceiling:\n((?: {4}#.*\n)+)/m, (_, body: string) => `    ceiling:\n${body.replace(/^ {4}# ?/gm, '    ')}`);
  t.not(uncommented, text, 'the examples were found');
  const config = parseConfig(parseYaml(uncommented), 'default.yaml uncommented');
  t.strictSame(Object.keys(config.tierEntitlements ?? {}), ['db']);
  t.strictSame(config.profiles.seed?.ceiling?.egress, [{ tiers: ['business'], to: [{ cidr: '203.0.113.0/24' }], ports: [{ port: 443, protocol: 'TCP' }] }]);
});

t.test('render --ceiling prints the ceiling in the words of the messages', async (t) => {
  const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const result = spawnSync(process.execPath, [main, 'render', '--namespace', 'products-prod', '--profile', 'seed-prod', '--ceiling'], {
    encoding: 'utf8',
    env: { ...process.env, NETPOL_HYGIENE_CONFIG: '' },
  });
  t.equal(result.status, 0, result.stderr);
  t.equal(
    result.stdout,
    [
      '# NP-CEILING: the most any NetworkPolicy in products-prod may allow (profile seed-prod); docs/ceiling.md',
      'namespace: products-prod',
      'profile: seed-prod',
      'ingress:',
      '  - pods: tier=ui',
      '    from: anywhere',
      '    ports: port 8080',
      '  - pods: tier=business',
      '    from: tier=ui in products-prod',
      '    ports: port 8081',
      '  - pods: tier=db',
      '    from: tier=business in products-prod',
      '    ports: port 8082',
      '  - pods: tier=db',
      '    from: tier=business in products-stage',
      '    ports: port 8082',
      'egress:',
      '  - pods: every pod',
      '    to: k8s-app=kube-dns in kube-system',
      '    ports: port 53 and UDP port 53',
      '  - pods: every pod',
      '    to: any pod in any namespace',
      '    ports: any port',
      '',
    ].join('\n'),
  );
});
