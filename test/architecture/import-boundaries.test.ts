import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The import rules of eslint.config.js (issue 14): a forbidden import planted in each part fails `npm run lint`.
 * The probe is linted as if it were a file at that path (lintText's filePath picks the config): nothing is written
 * into the shared tree, so no other run (tsc, knip, a concurrent lint) ever sees it.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: root });

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const filePath = join(root, file);
  expect(existsSync(filePath)).toBe(false);
  const [result] = await eslint.lintText(code, { filePath });
  expect(result.messages.filter((m) => m.fatal)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const importing = (specifier: string) =>
  `import { thing } from '${specifier}';\nexport const used = thing;\n`;

const forbidden: [file: string, specifier: string, says: string][] = [
  ['findings/boundary-probe.ts', '../bot/app.js', 'findings/ never imports bot/'],
  [
    'findings/cli/commands/boundary-probe.ts',
    '../../../bot/github/check-runs.js',
    'findings/ never imports bot/',
  ],
  ['findings/render/boundary-probe.ts', '../../action/lib/run-url.js', 'findings/ never imports action/'],
  ['findings/publish/boundary-probe.ts', '../../infra/config/config.js', 'runtime code never imports infra/'],
  ['findings/parse/boundary-probe.ts', '../../test/findings/helpers.js', 'only test/ imports test/'],
  // The parse layer takes text: reading files is findings/load/'s job.
  ['findings/parse/boundary-probe.ts', 'node:fs/promises', 'findings/parse/ reads no files'],
  ['findings/parse/boundary-probe.ts', 'node:fs', 'findings/parse/ reads no files'],
  ['findings/parse/boundary-probe.ts', '../../bot/app.js', 'findings/ never imports bot/'],
  ['bot/boundary-probe.ts', '../action/lib/run-url.js', 'bot/ never imports action/'],
  // pipeline/ is the leaf every part shares: it imports none of them.
  ['pipeline/boundary-probe.ts', '../findings/errors.js', 'pipeline/ never imports findings/'],
  ['pipeline/boundary-probe.ts', '../bot/settings.js', 'pipeline/ never imports bot/'],
  ['pipeline/boundary-probe.ts', '../action/lib/run-url.js', 'pipeline/ never imports action/'],
  ['pipeline/boundary-probe.ts', '../infra/config/config.js', 'runtime code never imports infra/'],
  ['pipeline/boundary-probe.ts', '../test/support/codepipeline-fake.js', 'only test/ imports test/'],
  // The engine takes only the AWS error classification from pipeline/; CodePipeline is the CLI's business.
  [
    'findings/publish/boundary-probe.ts',
    '../../pipeline/console-url.js',
    'findings/ imports only pipeline/aws-errors.js',
  ],
  ['findings/boundary-probe.ts', '../pipeline/contracts.js', 'findings/ imports only pipeline/aws-errors.js'],
  [
    'bot/handlers/boundary-probe.ts',
    '../../infra/lib/stacks/bot-stack.js',
    'runtime code never imports infra/',
  ],
  ['bot/aws/boundary-probe.ts', '../../test/bot/helpers/fake-aws.js', 'only test/ imports test/'],
  ['action/boundary-probe.ts', '../bot/app.js', 'action/ never imports bot/'],
  ['action/lib/boundary-probe.ts', '../../infra/bin/app.js', 'runtime code never imports infra/'],
  ['action/lib/boundary-probe.ts', '../../test/action/fixtures/core.js', 'only test/ imports test/'],
  ['infra/lib/stacks/boundary-probe.ts', '../../../test/infra/synth.js', 'only test/ imports test/'],
  ['infra/lambda/boundary-probe.ts', '../../test/infra/synth.js', 'only test/ imports test/'],
  ['scripts/boundary-probe.ts', '../test/bot/helpers/harness.js', 'only test/ imports test/'],
  ['scripts/boundary-probe.mjs', '../test/action/fixtures/run-bundle.js', 'only test/ imports test/'],
  ['boundary-probe.config.js', './test/infra/synth.js', 'only test/ imports test/'],
];

describe('import boundaries (eslint.config.js)', () => {
  it.each(forbidden)('%s importing %s fails lint', async (file, specifier, says) => {
    const messages = await restrictedImports(file, importing(specifier));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(says);
  });

  it('catches the re-export and type-only forms too', async () => {
    expect(
      await restrictedImports('findings/boundary-probe.ts', "export { app } from '../bot/app.js';\n"),
    ).toHaveLength(1);
    const typeOnly = "import type { Inputs } from '../action/lib/types.js';\nexport type Used = Inputs;\n";
    expect(await restrictedImports('bot/boundary-probe.ts', typeOnly)).toHaveLength(1);
  });

  it.each([
    // The allowed arrows: bot, action and infra depend on findings and pipeline; infra packages the bot;
    // findings/ takes the AWS error classification from pipeline/, its CLI all of pipeline/.
    ['bot/aws/boundary-probe.ts', '../../findings/errors.js'],
    ['bot/aws/boundary-probe.ts', '../../pipeline/contracts.js'],
    ['action/lib/boundary-probe.ts', '../../pipeline/start-at-commit.js'],
    ['infra/lib/stacks/boundary-probe.ts', '../../../pipeline/contracts.js'],
    ['findings/publish/boundary-probe.ts', '../../pipeline/aws-errors.js'],
    ['findings/cli/commands/boundary-probe.ts', '../../../pipeline/diagnose-connection.js'],
    ['pipeline/boundary-probe.ts', './console-url.js'],
    ['action/lib/boundary-probe.ts', '../../findings/errors.js'],
    ['infra/lib/stacks/boundary-probe.ts', '../../../findings/errors.js'],
    ['infra/lib/stacks/boundary-probe.ts', '../../../bot/settings.js'],
    // A folder inside a part named like another part is not that part (the rule looks for a '../' first).
    ['findings/cli/boundary-probe.ts', './bot/names.js'],
    // The demo reuses the test fakes on purpose (the one exception, in eslint.config.js).
    ['scripts/lib/boundary-probe.ts', '../../test/support/codepipeline-fake.js'],
    ['test/bot/boundary-probe.ts', '../../bot/app.js'],
    ['test/boundary-probe.ts', './infra/synth.js'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await restrictedImports(file, importing(specifier))).toEqual([]);
  });
});
