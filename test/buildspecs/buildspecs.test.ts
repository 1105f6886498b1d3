import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { loadReport } from '../../findings/parse/load-report.js';
import { childrenNamed, parseXml } from '../findings/render/parse-xml.js';
import { fixture, readFixture } from '../findings/helpers.js';
import { FakeAws } from '../findings/publish/fake-aws.js';
import { codeRepositoryCoverage, InspectorCoverageFake } from '../findings/fetch/inspector-coverage-fake.js';
import {
  bundleCli,
  FAKE_AWS_S3_CP,
  fakeTools,
  loadBuildspec,
  makeSourceDir,
  PHASES,
  pinCli,
  REPO,
  runBuildspec,
  type Buildspec,
} from './run-buildspec.js';

/** The platform's buildspecs: infra/ inlines them into the security projects (never read from the source). */
const PLATFORM = ['scan.yml', 'image.yml', 'gate.yml', 'gate-ci.yml', 'infra-synth.yml'];
/** test.yml is an example of a service repository's own test buildspec (build.testBuildspec). */
const FILES = ['test.yml', ...PLATFORM];
const ACCOUNT = '123456789012';
const SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const SHA2 = '89abcdef0123456789abcdef0123456789abcdef';
const BUCKET = 'acme-findings';
const ECR = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/shop`;
const DIGEST = `sha256:${'d'.repeat(64)}`;

// ---------------------------------------------------------------- buildspec 0.2 grammar

const ON_FAILURE = /^(ABORT|CONTINUE|RETRY(-\d+)?(-.+)?)$/;
const FILE_FORMATS = [
  'CUCUMBERJSON',
  'JUNITXML',
  'NUNITXML',
  'NUNIT3XML',
  'TESTNGXML',
  'VISUALSTUDIOTRX',
  'CLOVERXML',
  'COBERTURAXML',
  'JACOCOXML',
  'SIMPLECOV',
];
const KEYS = {
  top: ['version', 'run-as', 'env', 'proxy', 'batch', 'phases', 'reports', 'artifacts', 'cache'],
  env: [
    'shell',
    'variables',
    'parameter-store',
    'exported-variables',
    'secrets-manager',
    'git-credential-helper',
  ],
  phase: ['run-as', 'on-failure', 'runtime-versions', 'commands', 'finally'],
  report: ['files', 'base-directory', 'discard-paths', 'file-format'],
  artifacts: [
    'files',
    'name',
    'discard-paths',
    'base-directory',
    'exclude-paths',
    'enable-symlinks',
    's3-prefix',
    'secondary-artifacts',
  ],
  cache: ['key', 'fallback-keys', 'action', 'paths'],
};

/** Every key used is one buildspec version 0.2 defines, in the place it defines it. */
function grammarErrors(spec: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const only = (where: string, value: unknown, allowed: string[]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${where}: not a mapping`);
      return;
    }
    for (const k of Object.keys(value))
      if (!allowed.includes(k)) errors.push(`${where}.${k}: not a buildspec 0.2 key`);
  };
  const strings = (where: string, value: unknown) => {
    if (!Array.isArray(value) || !value.every((c) => typeof c === 'string' && c.trim() !== ''))
      errors.push(`${where}: not a list of commands`);
  };
  only('(root)', spec, KEYS.top);
  if (String(spec.version) !== '0.2') errors.push(`version: ${String(spec.version)}, not 0.2`);
  if (spec.env) {
    only('env', spec.env, KEYS.env);
    const env = spec.env as Record<string, unknown>;
    for (const k of ['variables', 'parameter-store', 'secrets-manager'])
      if (env[k] !== undefined)
        for (const [name, v] of Object.entries(env[k] as object))
          if (typeof v !== 'string') errors.push(`env.${k}.${name}: not a string (quote it)`);
  }
  const phases = (spec.phases ?? {}) as Record<string, Record<string, unknown>>;
  only('phases', phases, PHASES);
  for (const [name, phase] of Object.entries(phases)) {
    only(`phases.${name}`, phase, KEYS.phase);
    if (phase['runtime-versions'] && name !== 'install')
      errors.push(`phases.${name}.runtime-versions: install only`);
    if (phase['on-failure'] !== undefined && !ON_FAILURE.test(String(phase['on-failure'])))
      errors.push(`phases.${name}.on-failure: ${String(phase['on-failure'])}`);
    if (phase.commands !== undefined) strings(`phases.${name}.commands`, phase.commands);
    if (phase.finally !== undefined) strings(`phases.${name}.finally`, phase.finally);
  }
  for (const [name, report] of Object.entries(
    (spec.reports ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    only(`reports.${name}`, report, KEYS.report);
    if (report['file-format'] !== undefined && !FILE_FORMATS.includes(String(report['file-format'])))
      errors.push(`reports.${name}.file-format: ${String(report['file-format'])}`);
    strings(`reports.${name}.files`, report.files);
  }
  if (spec.artifacts) {
    only('artifacts', spec.artifacts, KEYS.artifacts);
    strings('artifacts.files', (spec.artifacts as Record<string, unknown>).files);
  }
  if (spec.cache) only('cache', spec.cache, KEYS.cache);
  return errors;
}

const allCommands = (spec: Buildspec) =>
  Object.values(spec.phases ?? {}).flatMap((p) => [...(p?.commands ?? []), ...(p?.finally ?? [])]);

describe('buildspecs', () => {
  it.each(FILES)('%s parses and uses only buildspec 0.2 keys', (file) => {
    const text = readFileSync(join(REPO, 'buildspecs', file), 'utf8');
    const spec = parse(text) as Record<string, unknown>;
    expect(grammarErrors(spec)).toEqual([]);
  });

  it('rejects what is not buildspec 0.2 (the check above can fail)', () => {
    expect(
      grammarErrors({
        version: 0.1,
        phases: { build: { commands: ['x'], steps: [] }, deploy: {} },
        reports: { r: { files: ['a'], 'file-format': 'XML' } },
        env: { variables: { PORT: 8080 } },
      }),
    ).toEqual([
      'version: 0.1, not 0.2',
      'env.variables.PORT: not a string (quote it)',
      'phases.deploy: not a buildspec 0.2 key',
      'phases.build.steps: not a buildspec 0.2 key',
      'reports.r.file-format: XML',
    ]);
  });

  it('print the tool versions, keep their artifacts, and cache what they install', () => {
    for (const file of FILES) {
      const spec = loadBuildspec(file);
      const text = allCommands(spec).join('\n');
      expect(text).not.toMatch(/npx (--\S+ )*pipewarden|tsx |ts-node|npm (i|install) .*pipewarden/);
      expect(text).toMatch(/tool-versions\.txt/);
      if (/npm (ci|install)|curl /.test(text)) expect(spec.cache?.paths?.length).toBeGreaterThan(0);
      // Artifacts are kept from a directory every run writes to (the versions file at least).
      expect(spec.artifacts?.files).toEqual(['**/*']);
      // Node 20 is end of life; CodeBuild's standard image runs 22.
      expect(spec.phases?.install?.['runtime-versions']?.nodejs).toBe(22);
    }
  });

  it.each(PLATFORM)(
    '%s runs only the pinned CLI: fetched from the deployment, sha256-checked in install, never dist/cli',
    (file) => {
      const spec = loadBuildspec(file);
      const text = allCommands(spec).join('\n');
      expect(text).not.toMatch(/dist\/cli/);
      const install = (spec.phases?.install?.commands ?? []).join('\n');
      expect(install).toContain('aws s3 cp --only-show-errors "$PIPEWARDEN_CLI_URL" "$PIPEWARDEN_CLI"');
      expect(install).toContain('echo "$PIPEWARDEN_CLI_SHA256  $PIPEWARDEN_CLI" | sha256sum -c -');
      // Every CLI call (gate, report, publish, fetch, --version) goes through the checked copy.
      const calls = text.match(
        /\S*\s+\S*\s*(gate|report|publish|fetch) (--|baseline|inspector|s3|securityhub)/g,
      );
      for (const call of calls ?? []) expect(call).toMatch(/^node "\$PIPEWARDEN_CLI"/);
      expect(text.match(/node "\$PIPEWARDEN_CLI"/g)?.length).toBeGreaterThan(0);
    },
  );

  it('the feature gate applies the base policy, publishes only its execution and never to Security Hub', () => {
    const text = allCommands(loadBuildspec('gate-ci.yml')).join('\n');
    expect(text).toContain('fetch baseline --out out/baseline.json --policy-out out/base-policy.yml');
    expect(text).toContain('--config out/base-policy.yml');
    expect(text).toContain('--proposed-config "$CODEBUILD_SRC_DIR/.github/pipewarden.yml"');
    expect(text).toContain('publish s3 --document out/findings.json --execution-only');
    expect(text).not.toMatch(/publish securityhub/);
    // gate.yml is the main pipeline's only: no feature switch left in it.
    expect(allCommands(loadBuildspec('gate.yml')).join('\n')).not.toMatch(
      /PIPEWARDEN_PIPELINE_KIND|--execution-only/,
    );
  });

  it('never print the Snyk token, nor trace commands', () => {
    for (const file of FILES) {
      const spec = loadBuildspec(file);
      const text = allCommands(spec).join('\n');
      expect(text).not.toMatch(/set -x|set -o xtrace|bash -x/);
      expect(text).not.toMatch(/(echo|printf|tee|cat)[^\n]*SNYK_TOKEN/);
      expect(text).not.toMatch(/--token|snyk auth/);
      expect(Object.keys(spec.env?.variables ?? {})).not.toContain('SNYK_TOKEN');
    }
  });

  it('send JUnit to the report groups the CDK declares (infra: reports tests / findings)', () => {
    expect(Object.keys(loadBuildspec('test.yml').reports ?? {})).toEqual(['tests']);
    expect(Object.keys(loadBuildspec('gate.yml').reports ?? {})).toEqual(['findings']);
    expect(Object.keys(loadBuildspec('gate-ci.yml').reports ?? {})).toEqual(['findings']);
    expect(Object.keys(loadBuildspec('infra-synth.yml').reports ?? {})).toEqual(['findings']);
    for (const f of ['test.yml', 'gate.yml', 'gate-ci.yml', 'infra-synth.yml'])
      for (const r of Object.values(loadBuildspec(f).reports ?? {}))
        expect(r['file-format']).toBe('JUNITXML');
  });
});

// ---------------------------------------------------------------- running them

let fake: FakeAws;
let root: string;
let cli: string;
/** The project variables of the pinned CLI (PIPEWARDEN_CLI_URL, _SHA256, PIPEWARDEN_CLI) and the fake bucket. */
let pinned: ReturnType<typeof pinCli>;
/** PATH with the stand-in `aws` that serves `aws s3 cp` of the pinned CLI. */
let sharedBin: string;
const basePath = () => `${sharedBin}:${process.env.PATH ?? ''}`;

beforeAll(async () => {
  fake = await new FakeAws().start();
  root = mkdtempSync(join(tmpdir(), 'pipewarden-buildspecs-'));
  cli = join(root, 'cli.mjs');
  await bundleCli(cli);
  pinned = pinCli(root, cli, '(set per run)');
  sharedBin = fakeTools(join(root, 'shared'), { aws: FAKE_AWS_S3_CP });
}, 120_000);
afterAll(async () => {
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
});

let runDir: string;
let runCount = 0;
beforeEach(() => {
  fake.reset();
  fake.s3.buckets.add(BUCKET);
  runDir = join(root, `run-${++runCount}`);
  mkdirSync(runDir);
});

/** A Build-stage artifact: report files and their list, as scan.yml and image.yml leave them. */
function artifact(name: string, files: Record<string, string>, extra: Record<string, string> = {}): string {
  const dir = join(runDir, 'artifacts', name);
  mkdirSync(dir, { recursive: true });
  for (const [target, source] of Object.entries(files)) cpSync(source, join(dir, target));
  for (const [target, text] of Object.entries(extra)) writeFileSync(join(dir, target), text);
  writeFileSync(join(dir, 'pipewarden-reports.txt'), `${Object.keys(files).join('\n')}\n`);
  return dir;
}

function buildStageArtifacts(): Record<string, string> {
  const wire = readFixture('aws/inspector2-code-repository.wire.json') as { findings: unknown[] };
  const inspectorFile = join(runDir, 'inspector-code.json');
  writeFileSync(inspectorFile, JSON.stringify({ findings: wire.findings }));
  return {
    CODEBUILD_SRC_DIR_SnykReports: artifact('SnykReports', {
      'snyk-open-source.json': fixture('snyk/test-report-with-reachability.json'),
      'snyk-code.sarif': fixture('snyk/test-code-consistent-ignores.json'),
      'snyk-iac.json': fixture('snyk/iac-test-report.json'),
    }),
    CODEBUILD_SRC_DIR_InspectorReports: artifact('InspectorReports', {
      'inspector-code.json': inspectorFile,
    }),
    CODEBUILD_SRC_DIR_Image: artifact(
      'Image',
      { 'inspector-scan.cdx.json': fixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json') },
      { 'imageDetail.json': JSON.stringify({ ImageURI: `${ECR}@${DIGEST}` }) },
    ),
  };
}

/** What the pipeline and CodeBuild set for the gate project (infra/lib/stacks/pipelines-stack.ts). */
function pipelineEnv(src: string, extra: Record<string, string | undefined> = {}) {
  return {
    ...fake.env(),
    PATH: basePath(),
    ...pinned,
    PIPEWARDEN_CLI: join(runDir, 'opt', 'pipewarden', 'pipewarden.mjs'),
    CODEBUILD_SRC_DIR: src,
    CODEBUILD_BUILD_ARN: `arn:aws:codebuild:eu-central-1:${ACCOUNT}:build/shop-gate:4b1d`,
    CODEBUILD_BUILD_ID: 'shop-gate:4b1d',
    AWS_ACCOUNT_ID: ACCOUNT,
    PIPEWARDEN_FINDINGS_BUCKET: BUCKET,
    PIPEWARDEN_BASELINE_BRANCH: 'main',
    PIPEWARDEN_REPO: 'acme/shop',
    PIPEWARDEN_COMMIT: SHA,
    PIPEWARDEN_BRANCH: 'main',
    PIPEWARDEN_EXECUTION_ID: '3f7c2d4e-0000-4000-8000-000000000001',
    PIPEWARDEN_PULL_REQUEST: 'none',
    PIPEWARDEN_HEAD_BRANCH: 'none',
    PIPEWARDEN_PIPELINE: 'shop-main',
    PIPEWARDEN_PIPELINE_KIND: 'main',
    PIPEWARDEN_SECURITY_HUB: 'true',
    PIPEWARDEN_IMAGE_URI: undefined,
    GITHUB_REPOSITORY: undefined,
    GITHUB_SHA: undefined,
    GITHUB_HEAD_REF: undefined,
    GITHUB_REF_NAME: undefined,
    ...extra,
  };
}

const failedCommand = (log: string) => /Command did not exit successfully \(c(\d+)\.sh\)/.exec(log)?.[1];

const EXEC_MAIN = '3f7c2d4e-0000-4000-8000-000000000001';
const EXEC_FEATURE = '3f7c2d4e-0000-4000-8000-000000000002';
const mainKeys = (exec: string) =>
  ['findings.json', 'findings.md', 'findings.sarif'].map(
    (f) => `${BUCKET}/acme/shop/pipelines/shop-main/executions/${exec}/${f}`,
  );
const featureKeys = (exec: string) =>
  ['findings.json', 'findings.md', 'findings.sarif'].map(
    (f) => `${BUCKET}/acme/shop/pipelines/shop-feature/executions/${exec}/${f}`,
  );
const LATEST = `${BUCKET}/acme/shop/branches/main/latest.json`;
const stored = () => [...fake.s3.objects.keys()].sort();
const readDoc = (src: string) =>
  JSON.parse(readFileSync(join(src, 'out', 'findings.json'), 'utf8')) as FindingsDocument;

describe('gate.yml (main pipeline), run locally against the pinned CLI and the fixtures', () => {
  const gate = loadBuildspec('gate.yml');
  const lastCommand = String(gate.phases!.build!.commands!.length - 1);

  it('on main, first run: fails the stage on the findings, after storing them, importing them, and writing JUnit', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, { cwd: src, env: pipelineEnv(src, buildStageArtifacts()) });
    expect(result.phases).toEqual({ install: 'SUCCEEDED', build: 'FAILED' });
    expect(result.status).toBe('FAILED');
    // Only the verdict failed: everything before it ran.
    expect(failedCommand(result.log)).toBe(lastCommand);
    expect(result.log).toMatch(
      /no baseline yet at s3:\/\/acme-findings\/acme\/shop\/branches\/main\/latest\.json/,
    );
    expect(result.log).toMatch(/pipewarden: gate FAILED/);
    expect(result.log).toMatch(/pipewarden: gate exit code 1/);
    // The checkout's dist/cli says "gate PASSED" if anything runs it: nothing does.
    expect(result.log).not.toMatch(/FORGED/);
    expect(result.log).toMatch(/pipewarden\.mjs: OK/);

    const out = join(src, 'out');
    const doc = readDoc(src);
    expect(doc.inputs.map((i) => i.format)).toEqual([
      'snyk-test',
      'sarif',
      'snyk-iac',
      'inspector2',
      'inspector-sbom',
    ]);
    expect(doc.context).toMatchObject({
      repo: 'acme/shop',
      commit: SHA,
      branch: 'main',
      pipeline: 'shop-main',
      pipelineExecutionId: EXEC_MAIN,
    });
    expect(doc.gate?.passed).toBe(false);
    const junit = parseXml(readFileSync(join(out, 'findings-junit.xml'), 'utf8'));
    expect(junit.name).toBe('testsuites');
    expect(childrenNamed(junit, 'testsuite').length).toBeGreaterThan(0);

    expect(stored()).toEqual(
      [
        LATEST,
        ...mainKeys(EXEC_MAIN),
        `${BUCKET}/acme/shop/commits/${SHA}/findings.json`,
        `${BUCKET}/acme/shop/commits/${SHA}/findings.md`,
        `${BUCKET}/acme/shop/commits/${SHA}/findings.sarif`,
      ].sort(),
    );
    expect(fake.securityHub.imported.size).toBe(doc.findings.length);
    const resources = [...fake.securityHub.received.values()].map(
      (f) => (f as { Resources: { Type: string; Id: string }[] }).Resources[0]!,
    );
    expect(resources).toContainEqual(
      expect.objectContaining({
        Type: 'AwsEcrContainerImage',
        Id: `arn:aws:ecr:eu-central-1:${ACCOUNT}:repository/shop/${DIGEST}`,
      }),
    );
    expect(readFileSync(join(out, 'tool-versions.txt'), 'utf8')).toContain(pinned.PIPEWARDEN_CLI_SHA256);
  });

  it('refuses a CLI whose sha256 is not the one synthesized into the project: nothing runs, nothing is stored', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, {
      cwd: src,
      env: pipelineEnv(src, { ...buildStageArtifacts(), PIPEWARDEN_CLI_SHA256: 'e'.repeat(64) }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'FAILED', build: 'SKIPPED' } });
    expect(result.log).toMatch(/pipewarden\.mjs: FAILED/);
    expect(result.log).not.toMatch(/FORGED/);
    expect(fake.s3.objects.size).toBe(0);
    expect(fake.securityHub.requests).toBe(0);
  });

  it('refuses to run outside a project the deployment defines (no pinned CLI variables)', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, {
      cwd: src,
      env: pipelineEnv(src, { ...buildStageArtifacts(), PIPEWARDEN_CLI_URL: undefined }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'FAILED', build: 'SKIPPED' } });
    expect(result.log).toMatch(
      /pipewarden: PIPEWARDEN_CLI_URL, PIPEWARDEN_CLI_SHA256 and PIPEWARDEN_CLI are not set/,
    );
  });

  it('fails closed when an action brought no report list, and still stores what it found', async () => {
    const src = makeSourceDir(runDir);
    const artifacts = buildStageArtifacts();
    const result = await runBuildspec(gate, {
      cwd: src,
      env: pipelineEnv(src, {
        ...artifacts,
        CODEBUILD_SRC_DIR_InspectorReports: undefined,
        PIPEWARDEN_SECURITY_HUB: 'false',
      }),
    });
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe(lastCommand);
    expect(result.log).toMatch(/the InspectorReports action brought no report list/);
    expect(result.log).toMatch(/missing-input\/InspectorReports\/pipewarden-reports\.txt/);
    expect(result.log).toMatch(/Security Hub: off \(PIPEWARDEN_SECURITY_HUB=false\)/);
    expect(fake.s3.objects.has(`${BUCKET}/acme/shop/commits/${SHA}/findings.json`)).toBe(true);
    expect(fake.s3.objects.has(mainKeys(EXEC_MAIN)[0]!)).toBe(true);
  });

  it('stops with one clear line when the findings bucket does not exist', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gate, {
      cwd: src,
      env: pipelineEnv(src, { ...buildStageArtifacts(), PIPEWARDEN_FINDINGS_BUCKET: 'no-such-bucket' }),
    });
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe('1');
    expect(result.log).toMatch(/pipewarden: --bucket no-such-bucket: no such bucket;/);
    expect(fake.s3.objects.size).toBe(0);
    expect(fake.securityHub.requests).toBe(0);
  });
});

describe('gate-ci.yml (feature pipeline), run locally against the pinned CLI and the fixtures', () => {
  const gateMain = loadBuildspec('gate.yml');
  const gateCi = loadBuildspec('gate-ci.yml');
  const lastCommand = String(gateCi.phases!.build!.commands!.length - 1);

  /** main's run, which leaves latest.json: the baseline and the policy its checkout's file (if any) says. */
  async function mainRun(artifacts: Record<string, string>, policy?: string) {
    const src = makeSourceDir(join(runDir, 'main-run'));
    if (policy !== undefined) {
      mkdirSync(join(src, '.github'));
      writeFileSync(join(src, '.github', 'pipewarden.yml'), policy);
    }
    const result = await runBuildspec(gateMain, { cwd: src, env: pipelineEnv(src, artifacts) });
    expect(result.status).toBe('FAILED'); // first run: every finding is new
    const latest = fake.s3.objects.get(LATEST)!.body.toString('utf8');
    fake.securityHub.imported.clear();
    fake.securityHub.requests = 0;
    return { latest, keys: stored() };
  }

  function featureEnv(src: string, artifacts: Record<string, string>, extra: Record<string, string> = {}) {
    return pipelineEnv(src, {
      ...artifacts,
      PIPEWARDEN_COMMIT: SHA2,
      PIPEWARDEN_BRANCH: 'feature/checkout',
      PIPEWARDEN_PIPELINE: 'shop-feature',
      PIPEWARDEN_PIPELINE_KIND: 'feature',
      PIPEWARDEN_EXECUTION_ID: EXEC_FEATURE,
      // The CI gate project has no such variable; set here to show the buildspec ignores it.
      PIPEWARDEN_SECURITY_HUB: 'true',
      ...extra,
    });
  }

  it('applies the policy main recorded: nothing new passes under main’s newOnly; only this execution is stored', async () => {
    const artifacts = buildStageArtifacts();
    const before = await mainRun(artifacts, 'gate:\n  newOnly: true\n');
    const src = makeSourceDir(join(runDir, 'feature-run'));
    const result = await runBuildspec(gateCi, { cwd: src, env: featureEnv(src, artifacts) });
    expect(result.log).toMatch(/pipewarden: gate PASSED/);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      phases: { install: 'SUCCEEDED', build: 'SUCCEEDED' },
    });
    expect(result.log).not.toMatch(/FORGED/);
    expect(stored()).toEqual([...before.keys, ...featureKeys(EXEC_FEATURE)].sort());
    expect(fake.s3.objects.get(LATEST)!.body.toString('utf8')).toBe(before.latest);
    expect(fake.securityHub.requests).toBe(0);
    const doc = readDoc(src);
    expect(doc.baseline?.file).toBe('out/baseline.json');
    expect(doc.findings.every((f) => f.status === 'existing')).toBe(true);
    expect(doc.policy).toMatchObject({ origin: 'base-branch', branch: 'main', commit: SHA });
    expect(doc.policy?.text).toMatch(/newOnly: true/);
    expect(doc.policyChange).toBeUndefined();
    expect(doc.context).toMatchObject({ pipeline: 'shop-feature', pipelineExecutionId: EXEC_FEATURE });
  });

  it('a pull request’s own config that relaxes the gate is only a proposal: main’s policy still fails it', async () => {
    const artifacts = buildStageArtifacts();
    const before = await mainRun(artifacts); // main has no config: pipewarden's defaults (fail on high)
    const src = makeSourceDir(join(runDir, 'pr-run'));
    mkdirSync(join(src, '.github'));
    writeFileSync(
      join(src, '.github', 'pipewarden.yml'),
      'gate:\n  failOn: critical\n  newOnly: true\nsuppressions:\n  - path: "**"\n    reason: not ours\n',
    );
    // Started at the pull request's commit: the source reports main, the run variables say which PR.
    const result = await runBuildspec(gateCi, {
      cwd: src,
      env: featureEnv(src, artifacts, {
        PIPEWARDEN_BRANCH: 'main',
        PIPEWARDEN_HEAD_BRANCH: 'feature/checkout',
        PIPEWARDEN_PULL_REQUEST: '42',
      }),
    });
    expect(result.log).toMatch(/pipewarden: gate FAILED/);
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe(lastCommand);
    const doc = readDoc(src);
    expect(doc.gate).toMatchObject({ passed: false, failOn: 'HIGH', newOnly: false });
    expect(doc.policy).toMatchObject({ origin: 'base-branch', branch: 'main' });
    expect(doc.policy?.text.trim()).toBe('{}'); // main recorded no file: the defaults
    expect(doc.policyChange).toMatchObject({
      // As the repository names it, not by the build machine's checkout path.
      file: '.github/pipewarden.yml',
      valid: true,
      gate: { failOn: 'CRITICAL', newOnly: true },
      wouldPass: true,
    });
    expect(doc.policyChange!.wouldSuppress.length).toBeGreaterThan(0);
    expect(doc.policyChange!.wouldLetThrough.length).toBe(doc.gate!.failing);
    expect(doc.context).toMatchObject({ branch: 'feature/checkout', pullRequest: 42, commit: SHA2 });
    // Nothing but this execution: not main's baseline, not commits/, not Security Hub.
    expect(stored()).toEqual([...before.keys, ...featureKeys(EXEC_FEATURE)].sort());
    expect(fake.s3.objects.get(LATEST)!.body.toString('utf8')).toBe(before.latest);
    expect(fake.securityHub.requests).toBe(0);
  });

  it('with no baseline yet, gates under pipewarden’s defaults and says so', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(gateCi, { cwd: src, env: featureEnv(src, buildStageArtifacts()) });
    expect(result.log).toMatch(/no baseline/);
    expect(result.status).toBe('FAILED');
    expect(failedCommand(result.log)).toBe(lastCommand);
    expect(readDoc(src).policy?.text.trim()).toBe('{}');
    expect(stored()).toEqual(featureKeys(EXEC_FEATURE).sort());
  });
});

// ---------------------------------------------------------------- scan.yml

const FAKE_SNYK = `
case "$1" in --version) echo 1.1300.0; exit 0;; test) sub=TEST;; code) sub=CODE;; iac) sub=IAC;; esac
out=""
for a in "$@"; do case "$a" in --json-file-output=*|--sarif-file-output=*) out="\${a#*=}";; esac; done
[ -n "$SNYK_TOKEN" ] || { echo "snyk: no token"; exit 2; }
exit_var="FAKE_SNYK_\${sub}_EXIT"; report_var="FAKE_SNYK_\${sub}_REPORT"
rc="\${!exit_var:-0}"
if [ "$rc" -le 1 ] && [ -n "$out" ]; then cp "\${!report_var}" "$out"; fi
echo "snyk $sub: exit $rc"
exit "$rc"`;

describe('scan.yml, with stand-ins for the scanners', () => {
  const scan = loadBuildspec('scan.yml');
  const TOKEN = 'snyk-token-0123456789-secret';
  // Inspector2 ListCoverage on the shared fake: acme/shop is onboarded unless a test says otherwise.
  let coverage: InspectorCoverageFake;
  beforeAll(() => {
    coverage = new InspectorCoverageFake(fake);
  });
  beforeEach(() => {
    coverage.reset();
    coverage.resources = [codeRepositoryCoverage('acme/shop', 'ACTIVE', 'SUCCESSFUL')];
  });

  function snykEnv(src: string, extra: Record<string, string | undefined> = {}) {
    const bin = fakeTools(runDir, { snyk: FAKE_SNYK, npm: 'echo "npm $*"' });
    return pipelineEnv(src, {
      PATH: `${bin}:${basePath()}`,
      PIPEWARDEN_SCANNER: 'snyk',
      SNYK_TOKEN: TOKEN,
      FAKE_SNYK_TEST_REPORT: fixture('snyk/test-report-with-reachability.json'),
      FAKE_SNYK_CODE_REPORT: fixture('snyk/test-code-consistent-ignores.json'),
      FAKE_SNYK_IAC_REPORT: fixture('snyk/iac-test-report.json'),
      ...extra,
    });
  }
  const listed = (src: string) =>
    readFileSync(join(src, 'reports', 'pipewarden-reports.txt'), 'utf8')
      .trim()
      .split('\n');

  it('snyk: issues found (exit 1) is a result, not a failure; every report is listed for the gate', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: snykEnv(src, { FAKE_SNYK_TEST_EXIT: '1', FAKE_SNYK_IAC_EXIT: '1' }),
    });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      phases: { install: 'SUCCEEDED', build: 'SUCCEEDED' },
    });
    expect(listed(src)).toEqual(['snyk-open-source.json', 'snyk-code.sarif', 'snyk-iac.json']);
    for (const f of listed(src))
      expect(
        (await loadReport(join(src, 'reports', f), { sourceRoot: src })).findings.length,
      ).toBeGreaterThan(0);
    expect(readFileSync(join(src, 'reports', 'tool-versions.txt'), 'utf8')).toMatch(/snyk 1\.1300\.0/);
    expect(result.log).not.toContain(TOKEN);
  });

  it('snyk: a scan that could not run (2) or found nothing to scan (3) fails the build, keeping the other reports', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: snykEnv(src, { FAKE_SNYK_CODE_EXIT: '2', FAKE_SNYK_IAC_EXIT: '3' }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'SUCCEEDED', build: 'FAILED' } });
    expect(listed(src)).toEqual(['snyk-open-source.json']);
    expect(readFileSync(join(src, 'reports', 'exit-codes.txt'), 'utf8')).toMatch(
      /snyk test .*→ exit 0\nsnyk code test .*→ exit 2\nsnyk iac test .*→ exit 3/,
    );
    // The finally block still shows the list; the artifact directory has the reports that were written.
    expect(result.log).toMatch(/pipewarden: reports for the gate:\nsnyk-open-source\.json/);
    expect(existsSync(join(src, 'reports', 'snyk-open-source.json'))).toBe(true);
  });

  it('snyk: IaC can be switched off for a repository without IaC files', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: snykEnv(src, { FAKE_SNYK_IAC_EXIT: '3', PIPEWARDEN_SNYK_IAC: 'false' }),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(listed(src)).toEqual(['snyk-open-source.json', 'snyk-code.sarif']);
  });

  it('inspector: fetches the repository’s findings and picks up saved CodeGuru JSON', async () => {
    const wire = readFixture('aws/inspector2-code-repository.wire.json') as {
      findings: Record<string, unknown>[];
    };
    fake.inspector.findings = wire.findings;
    const src = makeSourceDir(runDir);
    mkdirSync(join(src, '.codeguru'));
    cpSync(
      fixture('codeguru/jenkins-analysis-model_SYNTHETIC_nonconformant.json'),
      join(src, '.codeguru', 'scan-2025-10.json'),
    );
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, { PIPEWARDEN_SCANNER: 'inspector', SNYK_TOKEN: undefined }),
    });
    expect(result.log).toMatch(/Inspector: 3 finding\(s\) for acme\/shop in 2 page\(s\)/);
    expect(result.status).toBe('SUCCEEDED');
    expect(listed(src)).toEqual(['inspector-code.json', 'codeguru-scan-2025-10.json']);
    const inspector = await loadReport(join(src, 'reports', 'inspector-code.json'), { sourceRoot: src });
    expect(inspector.findings).toHaveLength(3);
    expect(fake.inspector.listRequests[0]!.filterCriteria).toMatchObject({
      codeRepositoryProjectName: [{ comparison: 'EQUALS', value: 'acme/shop' }],
    });
  });

  it('inspector: a repository Inspector does not cover fails the build in one line, listing no report', async () => {
    coverage.resources = [
      codeRepositoryCoverage('acme/shop', 'INACTIVE', 'NO_SCAN_CONFIGURATION_ASSOCIATED'),
    ];
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, { PIPEWARDEN_SCANNER: 'inspector', SNYK_TOKEN: undefined }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'SUCCEEDED', build: 'FAILED' } });
    expect(result.log).toContain(
      'pipewarden: Inspector code security does not cover acme/shop in eu-central-1 (its CODE_REPOSITORY coverage is INACTIVE (NO_SCAN_CONFIGURATION_ASSOCIATED)): onboard it (the GitHub integration and a scan configuration, docs/inspector-code-security.md) and run again, or pass --allow-not-covered (PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=true) to report it as not scanned\n',
    );
    // Nothing for the gate: the action fails, and a gate given its artifact fails closed on the missing list.
    expect(readFileSync(join(src, 'reports', 'pipewarden-reports.txt'), 'utf8')).toBe('');
    expect(existsSync(join(src, 'reports', 'inspector-code.json'))).toBe(false);
    expect(fake.inspector.listRequests).toEqual([]);
  });

  it('inspector: allowed not covered, lists a NOT SCANNED report that the engine warns about', async () => {
    coverage.resources = [];
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, {
        PIPEWARDEN_SCANNER: 'inspector',
        SNYK_TOKEN: undefined,
        PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED: 'true',
      }),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.log).toMatch(
      /pipewarden: warning: Inspector code security does not cover acme\/shop .* written as NOT SCANNED/,
    );
    expect(listed(src)).toEqual(['inspector-code.json']);
    const report = await loadReport(join(src, 'reports', 'inspector-code.json'), { sourceRoot: src });
    expect(report.findings).toEqual([]);
    expect(report.warnings).toEqual([expect.stringContaining('NOT SCANNED: Amazon Inspector code security')]);
  });

  it('refuses an unknown scanner before scanning anything', async () => {
    const src = makeSourceDir(runDir);
    const result = await runBuildspec(scan, {
      cwd: src,
      env: pipelineEnv(src, { PIPEWARDEN_SCANNER: 'trivy' }),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { install: 'FAILED', build: 'SKIPPED' } });
    expect(result.log).toMatch(/PIPEWARDEN_SCANNER must be snyk or inspector, not 'trivy'/);
  });
});

// ---------------------------------------------------------------- image.yml

describe('image.yml build commands, with stand-ins for docker, aws and inspector-sbomgen', () => {
  const image = loadBuildspec('image.yml');
  const OLD_DIGEST = `sha256:${'e'.repeat(64)}`;

  /**
   * `existing`: what `aws ecr describe-images` finds for the commit tag — a digest, or nothing
   * (ImageNotFoundException, exit 254), or `denied` (AccessDeniedException, exit 254).
   */
  async function imageRun(
    branch: string,
    extra: Record<string, string> = {},
    existing: string | 'denied' | undefined = undefined,
  ) {
    const src = join(runDir, 'src');
    mkdirSync(join(src, 'out'), { recursive: true }); // what the install phase creates
    writeFileSync(join(src, 'out', 'pipewarden-reports.txt'), '');
    const log = join(runDir, 'calls.log');
    const describe =
      existing === undefined
        ? `echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageTag:'${SHA}'} does not exist" >&2; exit 254`
        : existing === 'denied'
          ? 'echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized" >&2; exit 254'
          : `echo "${existing}"`;
    const bin = fakeTools(runDir, {
      docker: `echo "docker $*" >> "${log}"
if [ "$1" = login ]; then cat > /dev/null; fi
if [ "$1" = inspect ]; then echo "${ECR}@${DIGEST}"; fi
if [ "$1" = build ] && [ -n "$FAKE_DOCKER_BUILD_FAILS" ]; then echo "failed to build"; exit 1; fi
exit 0`,
      aws: `echo "aws $*" >> "${log}"
case "$1 $2" in
  "ecr get-login-password") echo ecr-password ;;
  "ecr describe-images") ${describe} ;;
  "inspector-scan scan-sbom") cat "${fixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json')}" ;;
esac`,
      'inspector-sbomgen': `echo "inspector-sbomgen $*" >> "${log}"
while [ $# -gt 0 ]; do if [ "$1" = --outfile ]; then cp "${fixture('inspector/sbomgen-input_alpine-3.18.2.cdx.json')}" "$2"; fi; shift; done`,
    });
    const env = pipelineEnv(src, {
      PATH: `${bin}:${basePath()}`,
      PIPEWARDEN_ECR_REPOSITORY_URI: ECR,
      PIPEWARDEN_CONTAINER_NAME: 'web',
      PIPEWARDEN_BRANCH: branch,
      ...extra,
    });
    const result = await runBuildspec(image, { cwd: src, env, only: ['build'] });
    return { src, result, calls: readFileSync(log, 'utf8') };
  }

  /** bot/aws/image-tag.ts's rule, worked by hand for these names: every non-[A-Za-z0-9_.-] byte → "-". */
  const longBranch = `feature/${'x'.repeat(150)}`;
  const longTag =
    `branch-feature-${'x'.repeat(150)}`.slice(0, 119) +
    '-' +
    createHash('sha256').update(longBranch).digest('hex').slice(0, 8);

  it.each([
    ['feature/ü', 'branch-feature---'],
    [longBranch, longTag],
  ])(
    'builds, scans the SBOM, pushes commit and branch tags, and writes the deploy files (%s)',
    async (branch, tag) => {
      const { src, result, calls } = await imageRun(branch);
      expect(result.log).not.toMatch(/did not exit successfully/);
      expect(result.status).toBe('SUCCEEDED');
      expect(tag.length).toBeLessThanOrEqual(128);
      // The commit has no image yet: asked first, by the repository's name.
      expect(calls).toContain(
        `aws ecr describe-images --repository-name shop --image-ids imageTag=${SHA} --query imageDetails[0].imageDigest --output text`,
      );
      expect(result.log).toContain(`pipewarden: no image for ${SHA} yet: building it`);
      expect(calls).toContain(
        `docker build --pull --file Dockerfile --tag ${ECR}:${SHA} --tag ${ECR}:${tag} .`,
      );
      expect(calls).toContain(`docker push ${ECR}:${SHA}`);
      expect(calls).toContain(`docker push ${ECR}:${tag}`);
      expect(calls).toContain(
        `docker login --username AWS --password-stdin ${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`,
      );
      expect(calls).toContain(
        `inspector-sbomgen container --image ${ECR}:${SHA} --outfile out/sbom.cdx.json`,
      );
      expect(calls).toContain(
        'aws inspector-scan scan-sbom --sbom file://out/sbom.cdx.json --output-format CYCLONE_DX_1_5',
      );
      const out = join(src, 'out');
      expect(JSON.parse(readFileSync(join(out, 'imagedefinitions.json'), 'utf8'))).toEqual([
        { name: 'web', imageUri: `${ECR}:${SHA}` },
      ]);
      expect(JSON.parse(readFileSync(join(out, 'imageDetail.json'), 'utf8'))).toEqual({
        ImageURI: `${ECR}@${DIGEST}`,
      });
      // The ECS deploy action reads imagedefinitions.json only: no CodeDeploy files.
      expect(existsSync(join(out, 'appspec.yaml'))).toBe(false);
      expect(existsSync(join(out, 'taskdef.json'))).toBe(false);
      expect(readFileSync(join(out, 'pipewarden-reports.txt'), 'utf8')).toBe('inspector-scan.cdx.json\n');
      const report = await loadReport(join(out, 'inspector-scan.cdx.json'), { sourceRoot: src });
      expect(report.format).toBe('inspector-sbom');
      expect(report.findings.length).toBeGreaterThan(0);
    },
  );

  it('re-running a commit that has an image reuses its digest: no build, no push of the immutable tag', async () => {
    const { src, result, calls } = await imageRun('main', {}, OLD_DIGEST);
    expect(result.log).not.toMatch(/did not exit successfully/);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.log).toContain(
      `pipewarden: ${ECR}:${SHA} exists (${OLD_DIGEST}): reusing it, not rebuilding`,
    );
    expect(calls).not.toContain('docker build');
    expect(calls).not.toContain(`docker push ${ECR}:${SHA}`);
    expect(calls).toContain(`docker pull ${ECR}@${OLD_DIGEST}`);
    // The branch tag (mutable) still follows the branch; the scanned image is the one that exists.
    expect(calls).toContain(`docker push ${ECR}:branch-main`);
    expect(calls).toContain(`inspector-sbomgen container --image ${ECR}:${SHA} --outfile out/sbom.cdx.json`);
    const out = join(src, 'out');
    expect(JSON.parse(readFileSync(join(out, 'imageDetail.json'), 'utf8'))).toEqual({
      ImageURI: `${ECR}@${OLD_DIGEST}`,
    });
    expect(readFileSync(join(out, 'pipewarden-reports.txt'), 'utf8')).toBe('inspector-scan.cdx.json\n');
  });

  it('fails with one line naming the permission when ECR cannot say whether the commit has an image', async () => {
    const { result, calls } = await imageRun('main', {}, 'denied');
    expect(result.status).toBe('FAILED');
    expect(result.log).toMatch(
      /pipewarden: aws ecr describe-images on shop failed \(An error occurred \(AccessDeniedException\).*check the image project's ecr:DescribeImages permission/,
    );
    expect(calls).not.toContain('docker build');
    expect(calls).not.toContain('docker push');
  });

  it("tags a pull request's image by its head branch, never by the base branch", async () => {
    // A run the bot starts at a pull request's commit: the source's branch is the base (main).
    const { result, calls } = await imageRun('main', { PIPEWARDEN_HEAD_BRANCH: 'feature/login' });
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toContain(
      `docker build --pull --file Dockerfile --tag ${ECR}:${SHA} --tag ${ECR}:branch-feature-login .`,
    );
    expect(calls).toContain(`docker push ${ECR}:branch-feature-login`);
    expect(calls).not.toContain('branch-main');
  });

  it('passes the pull-through cache registry to docker build, for FROM lines that name their base through it', async () => {
    const cache = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/ecr-public`;
    const { result, calls } = await imageRun('feature/login', { PIPEWARDEN_BASE_IMAGE_REGISTRY: cache });
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toContain(
      `docker build --pull --build-arg PIPEWARDEN_BASE_IMAGE_REGISTRY=${cache} --file Dockerfile --tag ${ECR}:${SHA} --tag ${ECR}:branch-feature-login .`,
    );
    // The one login covers the cache: it is the same account's registry.
    expect(calls).toContain(
      `docker login --username AWS --password-stdin ${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`,
    );
  });

  it('fails on a failed docker build, before pushing anything', async () => {
    const { result, calls } = await imageRun('main', { FAKE_DOCKER_BUILD_FAILS: '1' });
    expect(result.status).toBe('FAILED');
    expect(calls).not.toContain('docker push');
  });
});

describe('image.yml install: inspector-sbomgen pinned to a version and a SHA-256', () => {
  const image = loadBuildspec('image.yml');
  const arch = process.arch === 'arm64' ? 'ARM64' : 'AMD64';
  /** The real install command, alone: the others fetch the CLI and print versions (tested elsewhere). */
  const sbomgenOnly: Buildspec = {
    ...image,
    phases: {
      install: {
        commands: (image.phases?.install?.commands ?? []).filter((c) =>
          c.includes('amazon-inspector-sbomgen.s3.amazonaws.com'),
        ),
      },
    },
  };

  function setup(zipBody: string) {
    const zipDir = join(runDir, 'zip');
    mkdirSync(zipDir, { recursive: true });
    writeFileSync(join(zipDir, 'inspector-sbomgen'), zipBody);
    const zip = join(runDir, 'inspector-sbomgen.zip');
    // A reproducible zip (-X, fixed mtime) so that its sha256 can be computed and pinned here.
    execFileSync('touch', ['-t', '202601010000', join(zipDir, 'inspector-sbomgen')]);
    execFileSync('zip', ['-X', '-j', '-q', zip, join(zipDir, 'inspector-sbomgen')]);
    const log = join(runDir, 'curl.log');
    const bin = fakeTools(runDir, {
      curl: `echo "curl $*" >> "${log}"
while [ $# -gt 0 ]; do if [ "$1" = -o ]; then cp "${zip}" "$2"; fi; shift; done`,
    });
    mkdirSync(join(runDir, 'bin-out'));
    return {
      sha: createHash('sha256').update(readFileSync(zip)).digest('hex'),
      log,
      env: (extra: Record<string, string>) => ({
        PATH: `${bin}:${basePath()}`,
        PIPEWARDEN_TOOL_CACHE: join(runDir, 'cache'),
        PIPEWARDEN_TOOL_BIN: join(runDir, 'bin-out'),
        ...extra,
      }),
    };
  }

  it('is pinned in the buildspec: a release, never latest, with a sha256 per architecture', () => {
    const vars = image.env?.variables ?? {};
    expect(vars.SBOMGEN_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(vars.SBOMGEN_SHA256_AMD64).toMatch(/^[0-9a-f]{64}$/);
    expect(vars.SBOMGEN_SHA256_ARM64).toMatch(/^[0-9a-f]{64}$/);
    expect(sbomgenOnly.phases?.install?.commands).toHaveLength(1);
  });

  it('downloads the pinned release, checks it and puts it on PATH; the cached zip is checked again', async () => {
    const { sha, log, env } = setup('#!/bin/sh\necho sbomgen\n');
    const vars = env({ SBOMGEN_VERSION: '9.9.9', [`SBOMGEN_SHA256_${arch}`]: sha });
    const first = await runBuildspec(sbomgenOnly, { cwd: runDir, env: vars });
    expect(first.log).not.toMatch(/did not exit successfully/);
    expect(first.status).toBe('SUCCEEDED');
    const url = `https://amazon-inspector-sbomgen.s3.amazonaws.com/9.9.9/linux/${arch.toLowerCase()}/inspector-sbomgen.zip`;
    expect(readFileSync(log, 'utf8')).toContain(url);
    expect(execFileSync(join(runDir, 'bin-out', 'inspector-sbomgen'), { encoding: 'utf8' })).toBe(
      'sbomgen\n',
    );
    // Second build: the cached zip matches, so no download.
    rmSync(log);
    const second = await runBuildspec(sbomgenOnly, { cwd: runDir, env: vars });
    expect(second.status).toBe('SUCCEEDED');
    expect(existsSync(log)).toBe(false);
  });

  it('fails closed, with one line naming the variables, on a zip that does not match', async () => {
    const { env } = setup('#!/bin/sh\necho tampered\n');
    const result = await runBuildspec(sbomgenOnly, {
      cwd: runDir,
      env: env({ SBOMGEN_VERSION: '9.9.9', [`SBOMGEN_SHA256_${arch}`]: 'a'.repeat(64) }),
    });
    expect(result.status).toBe('FAILED');
    expect(result.log).toContain(
      `pipewarden: inspector-sbomgen 9.9.9 (${arch.toLowerCase()}) does not match SBOMGEN_SHA256_${arch}=${'a'.repeat(64)}: check the pinned version and checksum (docs/pipeline.md)`,
    );
    expect(existsSync(join(runDir, 'bin-out', 'inspector-sbomgen'))).toBe(false);
  });

  it('refuses SBOMGEN_VERSION=latest', async () => {
    const { sha, env } = setup('#!/bin/sh\necho sbomgen\n');
    const result = await runBuildspec(sbomgenOnly, {
      cwd: runDir,
      env: env({ SBOMGEN_VERSION: 'latest', [`SBOMGEN_SHA256_${arch}`]: sha }),
    });
    expect(result.status).toBe('FAILED');
    expect(result.log).toMatch(/pipewarden: SBOMGEN_VERSION must name a release/);
  });
});

// ---------------------------------------------------------------- infra-synth.yml

describe('infra-synth.yml build commands, with stand-ins for cdk and snyk', () => {
  const synth = loadBuildspec('infra-synth.yml');

  async function synthRun(
    validationReport: string,
    synthExit: number,
    iac: { exit: number; report: string },
  ) {
    const src = makeSourceDir(runDir);
    mkdirSync(join(src, 'out')); // what the install phase creates, with the pinned CLI
    const installed = join(runDir, 'opt', 'pipewarden', 'pipewarden.mjs');
    mkdirSync(dirname(installed), { recursive: true });
    copyFileSync(cli, installed);
    const bin = fakeTools(runDir, {
      npx: `if [ "$1 $2 $3" = "--no-install cdk synth" ]; then
  mkdir -p cdk.out && cp "${validationReport}" cdk.out/validation-report.json
  cp "${fixture('cdk-nag/v2/NagFixture.template.json')}" cdk.out/
  echo "cdk synth $*"; exit ${synthExit}
fi
exit 9`,
      snyk: FAKE_SNYK,
    });
    const result = await runBuildspec(synth, {
      cwd: src,
      only: ['build', 'post_build'],
      env: pipelineEnv(src, {
        PATH: `${bin}:${basePath()}`,
        SNYK_TOKEN: 'token',
        FAKE_SNYK_IAC_EXIT: String(iac.exit),
        FAKE_SNYK_IAC_REPORT: iac.report,
        // The fixture's stack traces were recorded under /work/main (test/fixtures/cdk-nag/SOURCES.txt).
        CODEBUILD_SRC_DIR: '/work/main',
        PIPEWARDEN_CONFIG: 'pipewarden.config.example.json',
      }),
    });
    return { src, result };
  }

  it('fails on cdk-nag violations, with the findings gated, reported and kept in the cloud assembly', async () => {
    const { src, result } = await synthRun(fixture('cdk-nag/v3/validation-report.json'), 1, {
      exit: 1,
      report: fixture('snyk/iac-test-report.json'),
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { build: 'FAILED', post_build: 'SUCCEEDED' } });
    expect(result.log).toMatch(
      /cdk synth --no-install cdk synth --quiet -c config=pipewarden\.config\.example\.json/,
    );
    expect(result.log).toMatch(/pipewarden: cdk synth exit code 1, snyk iac exit code 1, gate exit code 1/);
    const doc = JSON.parse(
      readFileSync(join(src, 'cdk.out', 'pipewarden', 'findings.json'), 'utf8'),
    ) as FindingsDocument;
    expect(doc.inputs.map((i) => i.format)).toEqual(['cdk-validation', 'snyk-iac']);
    expect(
      doc.findings.filter((f) => f.tool === 'cdk-nag' && !f.suppression).map((f) => f.location?.path),
    ).toEqual(['test/fixtures/cdk-nag/app/orders-queue.ts', 'test/fixtures/cdk-nag/app/orders-queue.ts']);
    expect(existsSync(join(src, 'cdk.out', 'pipewarden', 'findings-junit.xml'))).toBe(true);
    expect(existsSync(join(src, 'cdk.out', 'NagFixture.template.json'))).toBe(true);
  });

  it('passes a clean synth with a clean IaC scan', async () => {
    const clean = join(runDir, 'clean-validation.json');
    writeFileSync(
      clean,
      JSON.stringify({ version: '55.0.0', title: 'Validation Report', pluginReports: [] }),
    );
    const cleanIac = join(runDir, 'clean-iac.json');
    writeFileSync(
      cleanIac,
      JSON.stringify({ targetFile: 'NagFixture.template.json', infrastructureAsCodeIssues: [] }),
    );
    const { result } = await synthRun(clean, 0, { exit: 0, report: cleanIac });
    expect(result.log).toMatch(/pipewarden: cdk synth exit code 0, snyk iac exit code 0, gate exit code 0/);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      phases: { build: 'SUCCEEDED', post_build: 'SUCCEEDED' },
    });
  });

  it('fails when Snyk IaC could not scan (exit 2), after still gating and keeping the cdk-nag findings', async () => {
    const { src, result } = await synthRun(fixture('cdk-nag/v3/validation-report.json'), 0, {
      exit: 2,
      report: '',
    });
    expect(result).toMatchObject({ status: 'FAILED', phases: { build: 'FAILED', post_build: 'SUCCEEDED' } });
    expect(result.log).toMatch(
      /pipewarden: cdk synth exit code 0, snyk iac exit code 2, gate exit code [12]/,
    );
    const doc = JSON.parse(
      readFileSync(join(src, 'cdk.out', 'pipewarden', 'findings.json'), 'utf8'),
    ) as FindingsDocument;
    expect(doc.findings.some((f) => f.tool === 'cdk-nag')).toBe(true);
    expect(existsSync(join(src, 'cdk.out', 'pipewarden', 'findings-junit.xml'))).toBe(true);
  });
});

// ---------------------------------------------------------------- test.yml

describe('test.yml build commands with a real Jest run', () => {
  it('runs the tests and leaves JUnit XML for the report group, failures included', async () => {
    const app = join(runDir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"app","private":true}\n');
    writeFileSync(
      join(app, 'math.test.js'),
      [
        "describe('math', () => {",
        "  test('adds', () => expect(1 + 1).toBe(2));",
        '  test(\'fails <politely> & "quotes"\', () => expect(1).toBe(2));',
        "  test.skip('skipped', () => {});",
        "  test.todo('later');",
        '});',
      ].join('\n'),
    );
    const jest = join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
    const result = await runBuildspec(loadBuildspec('test.yml'), {
      cwd: app,
      only: ['build'],
      env: {
        PIPEWARDEN_TEST_COMMAND: `node ${jest} --ci --config '{}' --rootDir ${app} --reporters=default --reporters=${join(REPO, 'buildspecs', 'junit-reporter.mjs')}`,
        NODE_OPTIONS: '',
      },
    });
    expect(result.status).toBe('FAILED');
    const xml = parseXml(readFileSync(join(app, 'reports', 'junit', 'jest.xml'), 'utf8'));
    expect(xml.attributes).toMatchObject({ tests: '4', failures: '1', errors: '0', skipped: '2' });
    const suite = childrenNamed(xml, 'testsuite')[0]!;
    expect(suite.attributes.name).toBe('math.test.js');
    const cases = childrenNamed(suite, 'testcase');
    expect(cases.map((c) => c.attributes.name)).toEqual([
      'adds',
      'fails <politely> & "quotes"',
      'skipped',
      'later',
    ]);
    expect(cases[1]!.attributes.classname).toBe('math.test.js › math');
    expect(childrenNamed(cases[1]!, 'failure')[0]!.text).toMatch(/Expected: 2/);
  }, 60_000);
});
