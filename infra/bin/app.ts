#!/usr/bin/env node
// The CDK app's entry point and the only file that reads context and environment (docs/architecture.md, "Conventions": thin entry points).
// Context: config=<file> (else PIPEWARDEN_CONFIG, else the committed example), botCode=<dir> (else dist/bot),
// cli=<file> (else dist/cli/index.js: the CLI the security builds run, pinned by its sha256).
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { PipewardenError, debugEnabled, errorMessage } from '../../findings/errors.js';
import { loadConfig } from '../config/load-config.js';
import featureFlags from '../feature-flags.json' with { type: 'json' };
import { addChecks } from '../lib/checks.js';
import { addPipewardenStacks } from '../lib/pipewarden-app.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function main(): void {
  // Feature flags pinned in a file (CDK's recommendations when written), so an aws-cdk-lib upgrade
  // never flips one silently; the CLI's cdk.json context and -c values still apply on top.
  const app = new App({ outdir: process.env.CDK_OUTDIR ?? join(root, 'cdk.out'), context: featureFlags });
  const configFile = resolve(
    root,
    String(
      app.node.tryGetContext('config') ?? process.env.PIPEWARDEN_CONFIG ?? 'pipewarden.config.example.json',
    ),
  );
  const config = loadConfig(configFile);
  const botCode = resolve(root, String(app.node.tryGetContext('botCode') ?? 'dist/bot'));
  if (!existsSync(join(botCode, 'index.js'))) {
    throw new PipewardenError(
      `bot bundle ${relative(root, botCode)}/index.js not found: run npm run bundle first (with the cdk CLI, -c botCode=<dir> points elsewhere)`,
    );
  }
  const cli = resolve(root, String(app.node.tryGetContext('cli') ?? 'dist/cli/index.js'));
  if (!existsSync(cli)) {
    throw new PipewardenError(
      `CLI bundle ${relative(root, cli)} not found: run npm run bundle first (with the cdk CLI, -c cli=<file> points elsewhere)`,
    );
  }
  addPipewardenStacks(app, config, {
    botCodeDirectory: botCode,
    configPath: relative(root, configFile),
    platform: { buildspecDirectory: join(root, 'buildspecs'), cliFile: cli },
  });
  addChecks(app);
  const assembly = app.synth();
  const names = app.node.children.filter((c): c is Stack => c instanceof Stack).map((s) => s.stackName);
  console.error(
    `pipewarden: synthesized ${names.length} stacks from ${relative(process.cwd(), configFile) || configFile} into ${relative(process.cwd(), assembly.directory) || '.'}`,
  );
}

try {
  main();
} catch (error) {
  console.error(debugEnabled() ? error : errorMessage(error));
  process.exitCode = 1;
}
