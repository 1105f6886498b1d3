import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../infra/config/load-config.js';
import { REPOSITORY_LIMITS } from '../../infra/config/schema.js';
import { rawConfigWithRepositories, type ConfigBase } from '../../scripts/lib/generated-config.js';
import { loadTemplates } from '../support/synth-cache.js';

// Issue 16: how many repositories one deployment holds is the first AWS limit its stacks meet, not a guess.
// Each stack's size is measured at 1 and 2 repositories (no rule packs: they change no template) and grown
// linearly; scripts/measure-repository-limits.ts checks the line at 50 to 200 repositories. The four apps,
// configWithRepositories(1|2, 'org'|'single') (limitsOrg1 ... limitsSingle2 of test/infra/variants.ts), come
// from the shared synth cache.
const CLOUDFORMATION = { resources: 500, outputs: 200, bytes: 1_000_000 } as const;

const SYNTHESES = {
  org: { 1: 'limitsOrg1', 2: 'limitsOrg2' },
  single: { 1: 'limitsSingle1', 2: 'limitsSingle2' },
} as const;

function firstLimit(base: ConfigBase): { max: number; stack: string; what: string } {
  const sizes = (count: 1 | 2) =>
    new Map(
      loadTemplates(SYNTHESES[base][count]).assembly.stacks.map((s) => {
        const template = s.template as { Resources?: object; Outputs?: object };
        return [
          s.stackName,
          {
            resources: Object.keys(template.Resources ?? {}).length,
            outputs: Object.keys(template.Outputs ?? {}).length,
            bytes: JSON.stringify(template).length,
          },
        ];
      }),
    );
  const one = sizes(1);
  const two = sizes(2);
  let first = { max: Infinity, stack: '', what: '' };
  for (const [stack, a] of one) {
    const b = two.get(stack);
    if (!b) continue;
    for (const what of ['resources', 'outputs', 'bytes'] as const) {
      const growth = b[what] - a[what];
      if (growth <= 0) continue;
      const max = 1 + Math.floor((CLOUDFORMATION[what] - a[what]) / growth);
      if (max < first.max) first = { max, stack, what };
    }
  }
  return first;
}

describe('the repository cap of one deployment', () => {
  it.each([
    ['org', REPOSITORY_LIMITS.environmentAccounts, 'staging-access'],
    ['single', REPOSITORY_LIMITS.oneAccount, 'storage'],
  ] as const)(
    'is the first CloudFormation limit a stack meets (%s accounts)',
    (base, limit, stack) => {
      // Why: a cap above it fails at deployment; below it refuses what would deploy.
      const first = firstLimit(base);
      expect(first).toEqual({ max: limit.max, stack: expect.stringContaining(stack), what: 'resources' });
    },
    900_000, // the first file to ask may wait for the synth child
  );

  it.each([
    ['org', REPOSITORY_LIMITS.environmentAccounts.max, 'environment access'],
    ['single', REPOSITORY_LIMITS.oneAccount.max, 'storage'],
  ] as const)('accepts the cap and refuses one more in one line (%s accounts)', (base, max, stack) => {
    expect(parseConfig(rawConfigWithRepositories(max, base), 'cfg.json').repositories).toHaveLength(max);
    let message = '';
    try {
      parseConfig(rawConfigWithRepositories(max + 1, base), 'cfg.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `pipewarden: cfg.json: invalid field "repositories": ${max + 1} repositories: at most ${max} per deployment here (CloudFormation allows 500 resources a stack, and the ${stack} stack holds a share of each repository's); split the organisation into several deployments with distinct names`,
    );
  });
});
