import t from 'tap';
import { cidrContains, parseCidr, parseIp } from '../../src/reachability/cidr.ts';
import { describeSelector, parseSelector, selectorMatches } from '../../src/reachability/label-selector.ts';
import { describePortRule, parsePortRule, portRuleMatches } from '../../src/reachability/ports.ts';
import { pod } from './reachability-fixtures.ts';

t.test('label selectors', async (t) => {
  const cases: { name: string; selector: Parameters<typeof parseSelector>[0]; labels: Record<string, string>; matches: boolean }[] = [
    { name: 'empty selector matches everything', selector: {}, labels: { a: '1' }, matches: true },
    { name: 'empty selector matches no labels', selector: {}, labels: {}, matches: true },
    { name: 'absent selector matches everything', selector: undefined, labels: {}, matches: true },
    { name: 'matchLabels equal', selector: { matchLabels: { tier: 'ui' } }, labels: { tier: 'ui', x: 'y' }, matches: true },
    { name: 'matchLabels other value', selector: { matchLabels: { tier: 'ui' } }, labels: { tier: 'db' }, matches: false },
    { name: 'matchLabels absent key', selector: { matchLabels: { tier: 'ui' } }, labels: {}, matches: false },
    { name: 'matchLabels empty value matches the empty value only', selector: { matchLabels: { tier: '' } }, labels: { tier: '' }, matches: true },
    { name: 'matchLabels all must hold', selector: { matchLabels: { a: '1', b: '2' } }, labels: { a: '1' }, matches: false },
    { name: 'In: value listed', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, labels: { env: 'stage' }, matches: true },
    { name: 'In: value not listed', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels: { env: 'dev' }, matches: false },
    { name: 'In: absent key does not match', selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels: {}, matches: false },
    { name: 'NotIn: other value matches', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels: { env: 'dev' }, matches: true },
    { name: 'NotIn: listed value does not match', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels: { env: 'prod' }, matches: false },
    { name: 'NotIn: absent key matches', selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels: {}, matches: true },
    { name: 'Exists: present with empty value', selector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels: { env: '' }, matches: true },
    { name: 'Exists: absent', selector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels: {}, matches: false },
    { name: 'DoesNotExist: absent matches', selector: { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels: { other: 'x' }, matches: true },
    { name: 'DoesNotExist: present does not', selector: { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels: { env: 'x' }, matches: false },
    {
      name: 'matchLabels AND matchExpressions',
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
      labels: { app: 'web', env: 'dev' },
      matches: false,
    },
    { name: 'a key named like a prototype property is not present by inheritance', selector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, labels: {}, matches: false },
  ];
  for (const c of cases) t.equal(selectorMatches(parseSelector(c.selector, 'sel'), c.labels), c.matches, c.name);
});

t.test('invalid selectors are refused as the API server refuses them', async (t) => {
  const cases: { name: string; selector: Parameters<typeof parseSelector>[0]; message: string }[] = [
    { name: 'unknown operator', selector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['1'] }] }, message: 'p.matchExpressions[0]: operator "Equals" is not one of In, NotIn, Exists, DoesNotExist' },
    { name: 'In without values', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, message: 'p.matchExpressions[0]: operator In needs at least one value' },
    { name: 'Exists with values', selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['1'] }] }, message: 'p.matchExpressions[0]: operator Exists takes no values' },
  ];
  for (const c of cases) t.throws(() => parseSelector(c.selector, 'p'), { name: 'InvalidPolicyError', message: c.message }, c.name);
});

t.test('selectors read like kubectl', async (t) => {
  t.equal(describeSelector(parseSelector({}, '')), '{}');
  t.equal(
    describeSelector(parseSelector({ matchLabels: { tier: 'ui' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'NotIn', values: ['1'] }, { key: 'y', operator: 'Exists' }, { key: 'z', operator: 'DoesNotExist' }] }, '')),
    'tier=ui,env in (a,b),x notin (1),y,!z',
  );
});

t.test('CIDRs and addresses, IPv4 and IPv6', async (t) => {
  const cases: { cidr: string; ip: string; contains: boolean }[] = [
    { cidr: '10.0.0.0/8', ip: '10.255.1.2', contains: true },
    { cidr: '10.0.0.0/8', ip: '11.0.0.1', contains: false },
    { cidr: '0.0.0.0/0', ip: '203.0.113.9', contains: true },
    { cidr: '192.168.1.7/32', ip: '192.168.1.7', contains: true },
    { cidr: '192.168.1.7/32', ip: '192.168.1.8', contains: false },
    { cidr: '10.1.2.3/16', ip: '10.1.200.1', contains: true },
    { cidr: '172.17.0.0/16', ip: '172.18.0.1', contains: false },
    { cidr: '2001:db8::/32', ip: '2001:db8:ffff::1', contains: true },
    { cidr: '2001:db8::/32', ip: '2001:db9::1', contains: false },
    { cidr: '::/0', ip: 'fd00::1', contains: true },
    { cidr: '::/0', ip: '10.0.0.1', contains: false },
    { cidr: '0.0.0.0/0', ip: '::1', contains: false },
    { cidr: 'fd00:10:244::/64', ip: 'fd00:10:244:0:ffff:ffff:ffff:ffff', contains: true },
    { cidr: 'fd00:10:244::/64', ip: 'fd00:10:244:1::', contains: false },
    { cidr: '::ffff:0:0/96', ip: '::ffff:192.0.2.1', contains: true },
    { cidr: '2001:db8::1/128', ip: '2001:0db8:0000:0000:0000:0000:0000:0001', contains: true },
  ];
  for (const c of cases) {
    const cidr = parseCidr(c.cidr);
    const ip = parseIp(c.ip);
    t.ok(cidr !== undefined && ip !== undefined && cidrContains(cidr, ip) === c.contains, `${c.cidr} ${c.contains ? 'contains' : 'does not contain'} ${c.ip}`);
  }
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', 'x/8', '10.0.0/8', '']) t.equal(parseCidr(bad), undefined, `"${bad}" is not a CIDR`);
  t.equal(parseIp('10.0.0.256'), undefined);
});

t.test('ports', async (t) => {
  const web = pod('x/web', {}, { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns', containerPort: 5353, protocol: 'TCP' }] });
  const cases: { name: string; port: Parameters<typeof parsePortRule>[0]; traffic: [number, 'TCP' | 'UDP' | 'SCTP']; on?: typeof web; matches: boolean }[] = [
    { name: '{} is every TCP port', port: {}, traffic: [9999, 'TCP'], matches: true },
    { name: '{} is not UDP (protocol defaults to TCP)', port: {}, traffic: [53, 'UDP'], matches: false },
    { name: 'protocol only: every port of it', port: { protocol: 'UDP' }, traffic: [53, 'UDP'], matches: true },
    { name: 'numeric port', port: { port: 80 }, traffic: [80, 'TCP'], matches: true },
    { name: 'numeric port, other number', port: { port: 80 }, traffic: [81, 'TCP'], matches: false },
    { name: 'numeric port, other protocol', port: { port: 80 }, traffic: [80, 'UDP'], matches: false },
    { name: 'SCTP port', port: { port: 80, protocol: 'SCTP' }, traffic: [80, 'SCTP'], matches: true },
    { name: 'endPort: first', port: { port: 32000, endPort: 32768 }, traffic: [32000, 'TCP'], matches: true },
    { name: 'endPort: last (inclusive)', port: { port: 32000, endPort: 32768 }, traffic: [32768, 'TCP'], matches: true },
    { name: 'endPort: after', port: { port: 32000, endPort: 32768 }, traffic: [32769, 'TCP'], matches: false },
    { name: 'endPort: before', port: { port: 32000, endPort: 32768 }, traffic: [31999, 'TCP'], matches: false },
    { name: 'named port resolves on the destination', port: { port: 'http' }, traffic: [8080, 'TCP'], on: web, matches: true },
    { name: 'named port: another number', port: { port: 'http' }, traffic: [80, 'TCP'], on: web, matches: false },
    { name: 'named port: the destination lacks the name', port: { port: 'https' }, traffic: [8443, 'TCP'], on: web, matches: false },
    { name: 'named port: outside the cluster nothing resolves', port: { port: 'http' }, traffic: [8080, 'TCP'], matches: false },
    { name: 'named port with protocol UDP', port: { port: 'dns', protocol: 'UDP' }, traffic: [53, 'UDP'], on: web, matches: true },
    { name: 'named port: the name on another protocol is another port', port: { port: 'dns' }, traffic: [53, 'TCP'], on: web, matches: false },
    { name: 'named port: TCP dns is 5353', port: { port: 'dns' }, traffic: [5353, 'TCP'], on: web, matches: true },
  ];
  for (const c of cases) t.equal(portRuleMatches(parsePortRule(c.port, 'p'), { port: c.traffic[0], protocol: c.traffic[1] }, c.on), c.matches, c.name);
  t.throws(() => parsePortRule({ port: 'http', endPort: 90 }, 'p'), { message: 'p.endPort: needs a numeric port, not the named port "http"' });
  t.throws(() => parsePortRule({ port: 90, endPort: 80 }, 'p'), { message: 'p.endPort: 80 must be a port number ≥ port (90)' });
  t.throws(() => parsePortRule({ protocol: 'ICMP' as 'TCP' }, 'p'), { message: 'p.protocol: "ICMP" is not one of TCP, UDP, SCTP' });
  t.throws(() => parsePortRule({ port: 0 }, 'p'), { message: 'p.port: 0 is not a port number (1-65535)' });
  t.throws(() => parsePortRule({ port: '80' }, 'p'), { message: 'p.port: "80" is neither a port number nor a port name (lower-case letters, digits and inner hyphens, at most 15, at least one letter)' }, 'a quoted number is a string, which the API server refuses');
  t.throws(() => parsePortRule({ port: 'HTTP' }, 'p'), { name: 'InvalidPolicyError' }, 'upper case');
  t.throws(() => parsePortRule({ port: 'a-very-long-port-name' }, 'p'), { name: 'InvalidPolicyError' }, 'longer than 15');
  t.same(parsePortRule({ port: 'serve-80-tcp' }, 'p'), { protocol: 'TCP', port: 'serve-80-tcp' });
  t.equal(describePortRule(parsePortRule({ port: 32000, endPort: 32768 }, '')), 'TCP/32000-32768');
  t.equal(describePortRule(parsePortRule({ protocol: 'UDP' }, '')), 'UDP/any');
});
