import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { emitWarningIfUnsupportedVersion, state } from '@aws-sdk/core/client';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Production runs only Node.js versions the AWS SDK supports, so its NodeVersionSupportWarning never reaches
 * a user there: the action (action.yml runs.using), the CodeBuild images (buildspecs' runtime-versions) and
 * the Lambda functions (infra/lib). The SDK's own check decides; nothing is suppressed.
 */
const majors = new Map<string, number>();
const action = parse(readFileSync('action.yml', 'utf8')) as { runs: { using: string } };
majors.set('action.yml', Number(/^node(\d+)$/.exec(action.runs.using)?.[1]));
for (const file of readdirSync('buildspecs').filter((f) => f.endsWith('.yml'))) {
  const spec = parse(readFileSync(join('buildspecs', file), 'utf8')) as {
    phases?: { install?: { 'runtime-versions'?: { nodejs?: number | string } } };
  };
  const node = spec.phases?.install?.['runtime-versions']?.nodejs;
  if (node !== undefined) majors.set(`buildspecs/${file}`, Number(String(node).split('.')[0]));
}
const lambdaSources = ['infra/lib/stacks/bot-stack.ts', 'infra/lib/constructs/green-check.ts'];
for (const file of lambdaSources)
  for (const m of readFileSync(file, 'utf8').matchAll(/Runtime\.NODEJS_(\d+)_X/g))
    majors.set(`${file} (Lambda)`, Number(m[1]));

const warnings = (version: string) => {
  state.warningEmitted = false;
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    emitWarningIfUnsupportedVersion(version);
    return spy.mock.calls.map((c) => String(c[0]).split('\n')[0]);
  } finally {
    spy.mockRestore();
  }
};
afterEach(() => {
  state.warningEmitted = false;
});

describe('production Node.js runtimes', () => {
  it('finds the runtimes of the action, every buildspec and the Lambda functions', () => {
    expect(majors.get('action.yml')).toBe(24);
    expect([...majors.keys()].filter((k) => k.startsWith('buildspecs/')).length).toBeGreaterThan(0);
    expect([...majors.keys()].filter((k) => k.endsWith('(Lambda)')).length).toBe(lambdaSources.length);
  });

  it.each([...majors.entries()])(
    '%s runs Node %i, where the AWS SDK prints no version warning',
    (_, major) => {
      expect(warnings(`v${major}.0.0`)).toEqual([]);
    },
  );

  it('the check does warn on Node 20 (what a development machine on Node 20 shows)', () => {
    expect(warnings('v20.19.0')).toEqual([expect.stringMatching(/^NodeVersionSupportWarning/)]);
  });
});
