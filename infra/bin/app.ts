#!/usr/bin/env node
// The CDK app's entry point and the only file that reads context and environment (docs/architecture.md, "Conventions": thin entry points).
// Context: config=<file> (else PIPEWARDEN_CONFIG, else the committed example), botCode=<dir> (else dist/bot),
// cli=<file> (else dist/cli/index.js: the CLI the security builds run, pinned by its sha256).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stack } from 'aws-cdk-lib';
import { PipewardenError, debugEnabled, errorMessage } from '../../findings/errors.js';
import { loadConfig } from '../config/load-config.js';
import featureFlags from '../feature-flags.json' with { type: 'json' };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The cdk CLI's context (cdk.json and -c values), read from where aws-cdk-lib's App reads it
 * (App.loadContext: CDK_CONTEXT_JSON, or the file CONTEXT_OVERFLOW_LOCATION_ENV names when it is too
 * long for the environment), so that the inputs are checked before aws-cdk-lib and the stacks load
 * (seconds): a wrong input fails at once.
 */
function cliContext(): Record<string, unknown> {
  const overflow = process.env.CONTEXT_OVERFLOW_LOCATION_ENV;
  return {
    ...(process.env.CDK_CONTEXT_JSON ? JSON.parse(process.env.CDK_CONTEXT_JSON) : {}),
    ...(overflow ? JSON.parse(readFileSync(overflow, 'utf8')) : {}),
  };
}

async function main(): Promise<void> {
  const context = cliContext();
  const configFile = resolve(
    root,
    String(context.config ?? process.env.PIPEWARDEN_CONFIG ?? 'pipewarden.config.example.json'),
  );
  const config = loadConfig(configFile);
  const botCode = resolve(root, String(context.botCode ?? 'dist/bot'));
  if (!existsSync(join(botCode, 'index.js'))) {
    throw new PipewardenError(
      `bot bundle ${relative(root, botCode)}/index.js not found: run npm run bundle first (with the cdk CLI, -c botCode=<dir> points elsewhere)`,
    );
  }
  const cli = resolve(root, String(context.cli ?? 'dist/cli/index.js'));
  if (!existsSync(cli)) {
    throw new PipewardenError(
      `CLI bundle ${relative(root, cli)} not found: run npm run bundle first (with the cdk CLI, -c cli=<file> points elsewhere)`,
    );
  }
  const [{ App, Stack: StackClass }, { addChecks }, { addPipewardenStacks }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../lib/checks.js'),
    import('../lib/pipewarden-app.js'),
  ]);
  // Feature flags pinned in a file (CDK's recommendations when written), so an aws-cdk-lib upgrade
  // never flips one silently; the CLI's cdk.json context and -c values still apply on top.
  const app = new App({ outdir: process.env.CDK_OUTDIR ?? join(root, 'cdk.out'), context: featureFlags });
  addPipewardenStacks(app, config, {
    botCodeDirectory: botCode,
    configPath: relative(root, configFile),
    platform: { buildspecDirectory: join(root, 'buildspecs'), cliFile: cli },
  });
  addChecks(app);
  const assembly = app.synth();
  const names = app.node.children.filter((c): c is Stack => c instanceof StackClass).map((s) => s.stackName);
  console.error(
    `pipewarden: synthesized ${names.length} stacks from ${relative(process.cwd(), configFile) || configFile} into ${relative(process.cwd(), assembly.directory) || '.'}`,
  );
}

try {
  await main();
} catch (error) {
  console.error(debugEnabled() ? error : errorMessage(error));
  process.exitCode = 1;
}
