// NS-LABELS (DESIGN.md "Admission behaviour", Namespace rows): who may change the
// netpol-hygiene.io/* labels of a namespace, and which values they may take. Through
// namespaces/status and /finalize: test/unit/subresource-labels.test.ts.
import t from 'tap';
import { nsLabels } from '../../../src/policy/rules/ns-labels.ts';
import { configWith, context, users } from '../helpers.ts';
import { validate } from './ask.ts';
import { namespaceCases, profileLabel, update } from './namespace-requests.ts';

t.test('NS-LABELS on every namespace request of the table', async (t) => {
  for (const c of namespaceCases) {
    t.strictSame(validate([nsLabels], c.request, context()), { violations: c.violations.filter((v) => v.rule === 'NS-LABELS'), reasons: [] }, c.name);
  }
});

t.test('a configured admin group other than system:masters', async (t) => {
  const config = configWith({ adminGroups: ['platform-admins'] });
  const request = update({ [profileLabel]: 'seed' }, { [profileLabel]: 'seed-prod' }, users.admin);
  t.strictSame(validate([nsLabels], request, context(undefined, config)).violations, [
    {
      rule: 'NS-LABELS',
      message:
        'NS-LABELS: changing netpol-hygiene.io/profile on namespace "products-prod" requires membership in an admin group (platform-admins); user "kubernetes-admin" is not in one',
    },
  ]);
  const platformAdmin = { username: 'ops@example.com', groups: ['platform-admins'] };
  t.strictSame(validate([nsLabels], update({ [profileLabel]: 'seed' }, { [profileLabel]: 'seed-prod' }, platformAdmin), context(undefined, config)).violations, []);
});
