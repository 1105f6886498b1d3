import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { PipewardenStacks } from '../../infra/lib/pipewarden-app.js';
import type { VariantConfig } from '../infra/variants.js';
import { REPO, testCacheDir } from './repo.js';
import { buildTogetherOnce } from './build-once.js';
import { isStale } from './stale-files.js';

/*
 * A synthesized app shared by every test file and every run until its inputs change. Each infra test file
 * synthesizes the app again in its own Jest worker (the example app with checks takes 10-20 s); most of
 * them only read templates. synthesizedApp() synthesizes a named configuration once, in a child process
 * (tsx, outside Jest's module sandbox), into a directory of the temp folder named by a hash of everything
 * the synthesis reads; later calls, from any worker or run, read the JSON templates from there.
 */

/**
 * central: the example with the pull-request trigger and a central Security Hub (no rule packs); the
 * variants (test/infra/variants.ts): configurations one test file changes, without the rule packs either.
 */
export type SynthesizedConfig = 'example' | 'full' | 'organisation' | 'central' | VariantConfig;

/** A stack of a cached app, by the names it is looked up with (stacks.json, written by synth-to-directory). */
export interface StackRef<T = Stack> {
  readonly stackName: string;
  readonly artifactId: string;
  /** The logical id of each resource the stack exposes as a property (storage.findingsBucket). */
  readonly logicalIds: { readonly [K in ConstructKeys<T>]?: string };
}
type ConstructKeys<T> = {
  [K in Exclude<keyof T, keyof Stack>]-?: NonNullable<T[K]> extends IConstruct ? K : never;
}[Exclude<keyof T, keyof Stack>];
type ByName<T> = T extends Stack
  ? StackRef<T>
  : T extends readonly (infer E)[]
    ? readonly ByName<E>[]
    : T extends object
      ? { readonly [K in keyof T]: ByName<T[K]> }
      : T;
/** addPipewardenStacks' result with every stack replaced by its StackRef; plain data as it was. */
export type CachedStacks = ByName<PipewardenStacks>;

/** The files a synthesis reads: infra/, the buildspecs it inlines, the pinned CLI, configs, dependencies. */
function synthInputs(): string[] {
  const files = [
    'package-lock.json',
    'pipewarden.config.example.json',
    'examples/org/pipewarden.config.json',
    'dist/cli/index.js',
    'scripts/lib/generated-config.ts',
    'test/infra/synth.ts',
    'test/infra/variants.ts',
    'test/support/synth-to-directory.ts',
  ].map((f) => join(REPO, f));
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  for (const dir of ['infra', 'buildspecs', 'pipeline', 'findings', 'schemas', 'test/infra/fixtures'])
    walk(join(REPO, dir));
  return files.filter((f) => existsSync(f)).sort();
}

/** The digest of every synthesis input, read once per test file (a build asks for all twelve keys). */
let inputsDigest: string | undefined;

export function synthCacheKey(config: SynthesizedConfig): string {
  if (inputsDigest === undefined) {
    const hash = createHash('sha256');
    for (const file of synthInputs())
      hash.update(relative(REPO, file)).update('\0').update(readFileSync(file));
    inputsDigest = hash.digest('hex');
  }
  return createHash('sha256').update(config).update('\0').update(inputsDigest).digest('hex').slice(0, 16);
}

/**
 * Every configuration, synthesized in one child process, in this order, by the first file that asks for any of
 * them (the test sequencer starts one such file first and the other readers last, so that the child runs
 * beside the tests that need no synthesis instead of making workers wait): one process loads tsx, aws-cdk-lib,
 * the rule packs and CDK's CloudFormation validator once (its WebAssembly engine alone ~7 s of CPU). Cold, on
 * this 2-core machine: 48 s of CPU (37 s wall) for all twelve in one process, against 64 s in the two processes
 * (example's, organisation's) that built them before. The checked ones first, the costliest first; the
 * unchecked variants (~1 s of CPU each once aws-cdk-lib is loaded) after.
 */
const SYNTHESIZED_TOGETHER = [
  'organisation',
  'example',
  'full',
  'central',
  'enableOnly',
  'limitsOrg1',
  'limitsOrg2',
  'limitsSingle1',
  'limitsSingle2',
  'alarms',
  'stagingUsEast2',
  'oneRegion',
] as const satisfies readonly SynthesizedConfig[];
type Unlisted = Exclude<SynthesizedConfig, (typeof SYNTHESIZED_TOGETHER)[number]>;
// Every configuration is listed: one missing would be synthesized alone, in a process of its own.
const _everyConfigListed: Unlisted extends never ? true : never = true;

const directoryOf = (config: SynthesizedConfig) =>
  join(testCacheDir(), `pipewarden-synth-${config}-${synthCacheKey(config)}`);

/** The cloud assembly directory of `config`, synthesized now if these sources have none yet. */
export function synthesizedDirectory(config: SynthesizedConfig): string {
  const directory = directoryOf(config);
  if (existsSync(directory)) {
    utimesSync(directory, new Date(), new Date()); // in use: not stale
    return directory;
  }
  const companions = new Map(
    SYNTHESIZED_TOGETHER.filter((c) => c !== config).map((c) => [directoryOf(c), c]),
  );
  buildTogetherOnce(directory, [...companions.keys()], (targets) =>
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO, 'test', 'support', 'synth-to-directory.ts'),
        ...targets.flatMap((t) => [companions.get(t.directory) ?? config, t.building, t.directory]),
      ],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    ),
  );
  // Assemblies of older sources, unused for an hour (another run may still read a recent one), go: this
  // configuration's and its companions' (a companion is often built before any file asks for it).
  const current = new Set([directory, ...companions.keys()]);
  for (const entry of readdirSync(testCacheDir())) {
    const path = join(testCacheDir(), entry);
    const of = /^pipewarden-synth-(\w+)-[0-9a-f]{16}(?:\.|$)/.exec(entry)?.[1];
    if (of && [config, ...companions.values()].includes(of as SynthesizedConfig))
      if (!current.has(path) && isStale(path)) rmSync(path, { recursive: true, force: true });
  }
  return directory;
}

/** The app's own stacks (storage, bot, ...), not the per-repository list nor an absent optional stack. */
export function namedStacks(stacks: CachedStacks): StackRef<Stack>[] {
  return Object.values(stacks).filter(
    (s): s is StackRef<Stack> => typeof s === 'object' && s !== null && 'stackName' in s,
  );
}

export interface SynthesizedTemplates {
  readonly directory: string;
  /** The cloud assembly read back from the directory (stacks, their environments and templates). */
  readonly assembly: CloudAssembly;
  /** The app's stacks as addPipewardenStacks returned them, each by its names. */
  readonly stacks: CachedStacks;
  /** The stacks' names, as CloudFormation deploys them. */
  readonly stackNames: string[];
  /** The template of one stack, by its stack name or reference. */
  readonly template: (stack: string | StackRef<Stack>) => Template;
  /** Violations left in CDK's validation report, per plugin (cdk-nag, cfn-guard, CloudFormation). */
  readonly violations: () => { plugin: string; rule: string; paths: string[] }[];
}

/** The templates of `config`, from the cache (synthesized once per change of the sources). */
export function loadTemplates(config: SynthesizedConfig): SynthesizedTemplates {
  const directory = synthesizedDirectory(config);
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const files = new Map<string, string>();
  for (const [id, artifact] of Object.entries(manifest.artifacts))
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
      files.set(artifact.properties.stackName ?? id, join(directory, artifact.properties.templateFile));
  const templates = new Map<string, Template>();
  return {
    directory,
    assembly: new CloudAssembly(directory),
    stacks: JSON.parse(readFileSync(join(directory, 'stacks.json'), 'utf8')) as CachedStacks,
    stackNames: [...files.keys()].sort(),
    template: (stack) => {
      const stackName = typeof stack === 'string' ? stack : stack.stackName;
      const file = files.get(stackName);
      if (!file) throw new Error(`pipewarden test: no stack ${stackName} in ${directory}`);
      let template = templates.get(stackName);
      if (!template)
        templates.set(stackName, (template = Template.fromJSON(JSON.parse(readFileSync(file, 'utf8')))));
      return template;
    },
    violations: () => {
      const report = join(directory, 'validation-report.json');
      if (!existsSync(report) || statSync(report).size === 0) return [];
      const parsed = JSON.parse(readFileSync(report, 'utf8')) as {
        pluginReports: {
          pluginName: string;
          violations: { ruleName: string; violatingConstructs: { constructPath?: string }[] }[];
        }[];
      };
      return parsed.pluginReports.flatMap((r) =>
        r.violations.map((v) => ({
          plugin: r.pluginName,
          rule: v.ruleName,
          paths: v.violatingConstructs.map((c) => c.constructPath ?? '?'),
        })),
      );
    },
  };
}
