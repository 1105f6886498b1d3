// Where one deployment stops growing: synthesizes generated configurations of N repositories (built in memory,
// scripts/lib/generated-config.ts) and prints, per N, the figures AWS limits: resources, outputs and template
// size of the largest stacks, stacks and pipelines per account, the infrastructure pipeline's actions per stage
// and the bot's policy and environment sizes; and the synthesis time (min/median/max of --runs). Not a test:
// its figures set the schema's repository cap (infra/config/schema.ts) and docs/deploy.md "Onboarding".
//
//   npx tsx scripts/measure-repository-limits.ts [--counts 20,50,100,200] [--runs 3] [--base org|single]
//
// Synthesis skips the rule packs (cdk-nag, cfn-guard) and asset bundling: they add time, not resources.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'aws-cdk-lib';
import featureFlags from '../infra/feature-flags.json' with { type: 'json' };
import { addPipewardenStacks } from '../infra/lib/pipewarden-app.js';
import { configWithRepositories, type ConfigBase } from './lib/generated-config.js';

const root = join(import.meta.dirname, '..');
// What synthesis needs of the bot and the platform: the test placeholder (no bundle), the buildspecs and CLI.
const BOT_PLACEHOLDER = join(root, 'test', 'infra', 'fixtures', 'bot-placeholder');
const PLATFORM = {
  buildspecDirectory: join(root, 'buildspecs'),
  cliFile: join(root, 'dist', 'cli', 'index.js'),
};

/** The limits a deployment meets as it grows (CloudFormation, CodePipeline, Lambda, IAM, EventBridge). */
export const AWS_LIMITS = {
  resourcesPerStack: 500,
  outputsPerStack: 200,
  templateBytes: 1_000_000,
  stacksPerAccount: 2_000,
  pipelinesPerAccountRegion: 1_000,
  actionsPerStage: 50,
  stagesPerPipeline: 50,
  rolePolicyCharacters: 10_240,
  lambdaEnvironmentBytes: 4_096,
} as const;

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const counts = option('counts', '20,50,100,200').split(',').map(Number);
const runs = Number(option('runs', '3'));
const base = option('base', 'org') as ConfigBase;
if (counts.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1) {
  console.error('measure-repository-limits: --counts takes whole numbers (20,50), --runs a whole number');
  process.exit(2);
}
if (base !== 'org' && base !== 'single') {
  console.error(`measure-repository-limits: --base ${base}: expected org or single`);
  process.exit(2);
}

interface Template {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

function synthesizeOnce(count: number) {
  const outdir = mkdtempSync(join(tmpdir(), 'pw-limits-'));
  try {
    const started = performance.now();
    const app = new App({ outdir, context: { ...featureFlags, 'aws:cdk:bundling-stacks': [] } });
    addPipewardenStacks(app, configWithRepositories(count, base), {
      botCodeDirectory: BOT_PLACEHOLDER,
      configPath: 'pipewarden.config.json',
      platform: PLATFORM,
    });
    const assembly = app.synth();
    const ms = performance.now() - started;
    const stacks = assembly.stacks.map((s) => {
      const template = s.template as Template;
      const resources = Object.values(template.Resources ?? {});
      return {
        name: s.stackName,
        account: s.environment.account,
        resources: resources.length,
        outputs: Object.keys(template.Outputs ?? {}).length,
        bytes: JSON.stringify(template).length,
        pipelines: resources.filter((r) => r.Type === 'AWS::CodePipeline::Pipeline'),
        template: resources,
      };
    });
    return { ms, stacks };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

console.log(`base ${base}; limits: ${JSON.stringify(AWS_LIMITS)}`);
for (const count of counts) {
  const times: number[] = [];
  let last: ReturnType<typeof synthesizeOnce> | undefined;
  let failure = '';
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    try {
      last = synthesizeOnce(count);
      times.push(last.ms);
    } catch (error) {
      // CDK refuses a stack over a limit at the end of synthesis: the time to get there is still the figure.
      times.push(performance.now() - started);
      failure = (error as Error).message.split('\n')[0]!;
    }
  }
  const time = `${seconds(Math.min(...times))}/${seconds(median(times))}/${seconds(Math.max(...times))} s (min/median/max of ${times.length})`;
  if (!last) {
    console.log(`${count} repositories: synthesis ${time}, then refused: ${failure}`);
    continue;
  }
  const top = (key: 'resources' | 'outputs' | 'bytes') =>
    [...last.stacks].sort((a, b) => b[key] - a[key])[0]!;
  const byAccount = new Map<string, number>();
  for (const s of last.stacks) byAccount.set(s.account, (byAccount.get(s.account) ?? 0) + 1);
  const pipelines = last.stacks.flatMap((s) => s.pipelines);
  const stages = pipelines.flatMap(
    (p) => (p.Properties?.Stages as { Name: string; Actions: unknown[] }[] | undefined) ?? [],
  );
  const widest = Math.max(...stages.map((s) => s.Actions.length));
  const longest = Math.max(
    ...pipelines.map((p) => ((p.Properties?.Stages as unknown[] | undefined) ?? []).length),
  );
  const bot = last.stacks.find((s) => s.name.endsWith('-bot'))!;
  const botPolicy = bot.template
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .reduce((n, r) => n + JSON.stringify(r.Properties?.PolicyDocument).length, 0);
  const botEnvironment = JSON.stringify(
    bot.template.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Layers)?.Properties
      ?.Environment ?? {},
  ).length;
  const r = top('resources');
  const o = top('outputs');
  const b = top('bytes');
  console.log(
    [
      `${count} repositories: synthesis ${time}`,
      `  most resources: ${r.name} ${r.resources}/${AWS_LIMITS.resourcesPerStack}; most outputs: ${o.name} ${o.outputs}/${AWS_LIMITS.outputsPerStack}; largest template: ${b.name} ${b.bytes} bytes/${AWS_LIMITS.templateBytes}`,
      `  stacks per account: ${[...byAccount].map(([a, n]) => `${a} ${n}`).join(', ')} (/${AWS_LIMITS.stacksPerAccount}); pipelines in the tooling account: ${pipelines.length}/${AWS_LIMITS.pipelinesPerAccountRegion}`,
      `  widest pipeline stage: ${widest} actions/${AWS_LIMITS.actionsPerStage}; most stages: ${longest}/${AWS_LIMITS.stagesPerPipeline}; bot policy ${botPolicy} characters, bot environment ${botEnvironment} bytes`,
    ].join('\n'),
  );
}
