import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { featurePipeline, FakeCodePipeline } from '../support/codepipeline-fake.js';
import { fixture, readFixture } from '../findings/helpers.js';
import { bundledCli } from '../support/bundled-cli.js';
import { FakeAws } from '../support/fake-aws.js';
import {
  FAKE_AWS_S3_CP,
  fakeTools,
  pinCli,
  runBuildspec,
  type Buildspec,
  type PhaseName,
} from './run-buildspec.js';

/*
 * What the buildspec test files share: one fake AWS, the pinned CLI and a fresh run directory per test,
 * set up by useBuildspecRuns() in the calling file (Jest gives each test file its own copy of this
 * module). The `let` exports are live bindings: a test reads the current value.
 */

export const ACCOUNT = '123456789012';
export const SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
export const SHA2 = '89abcdef0123456789abcdef0123456789abcdef';
export const BUCKET = 'acme-findings';
export const ECR = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/shop`;
export const DIGEST = `sha256:${'d'.repeat(64)}`;

export let fake: FakeAws;
/** The main gate asks it when its execution started (gate.yml orders the baseline by it). */
export let codepipeline: FakeCodePipeline;
export let root: string;
/** The CLI bundled from this checkout's sources (the stand-in for the file asset infra/ pins). */
export let cli: string;
/** The project variables of the pinned CLI (PIPEWARDEN_CLI_URL, _SHA256, PIPEWARDEN_CLI) and the fake bucket. */
export let pinned: ReturnType<typeof pinCli>;
/** PATH with the stand-in `aws` that serves `aws s3 cp` of the pinned CLI. */
let sharedBin: string;
export const basePath = () => `${sharedBin}:${process.env.PATH ?? ''}`;
export let runDir: string;
let runCount = 0;

/** Registers the setup every buildspec run needs; call once at the top level of a test file. */
export function useBuildspecRuns(): void {
  beforeAll(async () => {
    fake = await new FakeAws().start();
    codepipeline = await new FakeCodePipeline({ pipelines: [featurePipeline('shop-main')] }).start();
    root = mkdtempSync(join(tmpdir(), 'pipewarden-buildspecs-'));
    cli = await bundledCli();
    pinned = pinCli(root, cli, '(set per run)');
    sharedBin = fakeTools(join(root, 'shared'), { aws: FAKE_AWS_S3_CP });
  }, 120_000);
  afterAll(async () => {
    await fake.stop();
    await codepipeline.stop();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.reset();
    fake.s3.buckets.add(BUCKET);
    codepipeline.executions.clear();
    runDir = join(root, `run-${++runCount}`);
    mkdirSync(runDir);
  });
  // Every request the CLI sent conforms to the AWS API model and the limits the fake checks.
  afterEach(() => expect(fake.rejected).toEqual([]));
}

/** A Build-stage artifact: report files and their list, as scan.yml and image.yml leave them. */
export function artifact(
  name: string,
  files: Record<string, string>,
  extra: Record<string, string> = {},
): string {
  const dir = join(runDir, 'artifacts', name);
  mkdirSync(dir, { recursive: true });
  for (const [target, source] of Object.entries(files)) cpSync(source, join(dir, target));
  for (const [target, text] of Object.entries(extra)) writeFileSync(join(dir, target), text);
  writeFileSync(join(dir, 'pipewarden-reports.txt'), `${Object.keys(files).join('\n')}\n`);
  return dir;
}

export function buildStageArtifacts(): Record<string, string> {
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

/** A run's execution as CodePipeline knows it, started after the ones before it (a run again keeps its start). */
function startedExecution(id: string): void {
  if (codepipeline.executions.has(id)) return;
  const start = codepipeline.executions.size * 60;
  codepipeline.addExecution({
    id,
    pipeline: 'shop-main',
    frames: [
      {
        status: 'InProgress',
        actions: [
          {
            stage: 'Source',
            action: 'Source',
            status: 'Succeeded',
            provider: 'CodeStarSourceConnection',
            start,
          },
        ],
      },
    ],
  });
}

/** What the pipeline and CodeBuild set for the gate project (infra/lib/stacks/pipelines-stack.ts). */
export function pipelineEnv(src: string, extra: Record<string, string | undefined> = {}) {
  startedExecution(extra.PIPEWARDEN_EXECUTION_ID ?? EXEC_MAIN);
  return {
    ...fake.env(),
    AWS_ENDPOINT_URL_CODEPIPELINE: codepipeline.url,
    PATH: basePath(),
    ...pinned,
    PIPEWARDEN_CLI: installedCliPath(),
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

/** Where the install phase puts the pinned CLI in a run (pipelineEnv's PIPEWARDEN_CLI). */
export const installedCliPath = () => join(runDir, 'opt', 'pipewarden', 'pipewarden.mjs');

/**
 * What a platform buildspec's install phase leaves, without running it: the pinned CLI where install puts it
 * and the output directory (its first command). For runs about the later phases: a CLI process costs a third
 * of a second, and install runs one (--version) besides the fetch and sha256 check. gate-main.test.ts,
 * gate-feature.test.ts and scan.test.ts run install itself, its refusals included.
 */
export function installed(src: string, outDir = 'out'): void {
  mkdirSync(join(src, outDir), { recursive: true });
  mkdirSync(join(runDir, 'opt', 'pipewarden'), { recursive: true });
  copyFileSync(cli, installedCliPath());
}

/** Runs a buildspec from its build phase on, after installed(): see there for when. */
export function runAfterInstall(
  spec: Buildspec,
  options: { cwd: string; env: Record<string, string | undefined> },
  phases: PhaseName[] = ['build', 'post_build'],
) {
  installed(options.cwd);
  return runBuildspec(spec, { ...options, only: phases });
}

export const failedCommand = (log: string) =>
  /Command did not exit successfully \(c(\d+)\.sh\)/.exec(log)?.[1];

export const EXEC_MAIN = '3f7c2d4e-0000-4000-8000-000000000001';
export const EXEC_FEATURE = '3f7c2d4e-0000-4000-8000-000000000002';
export const mainKeys = (exec: string) =>
  ['findings.json', 'findings.md', 'findings.sarif'].map(
    (f) => `${BUCKET}/acme/shop/pipelines/shop-main/executions/${exec}/${f}`,
  );
export const featureKeys = (exec: string) =>
  ['findings.json', 'findings.md', 'findings.sarif'].map(
    (f) => `${BUCKET}/acme/shop/pipelines/shop-feature/executions/${exec}/${f}`,
  );
export const LATEST = `${BUCKET}/acme/shop/branches/main/latest.json`;
export const stored = () => [...fake.s3.objects.keys()].sort();
export const readDoc = (src: string) =>
  JSON.parse(readFileSync(join(src, 'out', 'findings.json'), 'utf8')) as FindingsDocument;

/** A stand-in `snyk`: exits and writes the reports the FAKE_SNYK_<TEST|CODE|IAC>_<EXIT|REPORT> variables say. */
export const FAKE_SNYK = `
case "$1" in --version) echo 1.1300.0; exit 0;; test) sub=TEST;; code) sub=CODE;; iac) sub=IAC;; esac
out=""
for a in "$@"; do case "$a" in --json-file-output=*|--sarif-file-output=*) out="\${a#*=}";; esac; done
[ -n "$SNYK_TOKEN" ] || { echo "snyk: no token"; exit 2; }
exit_var="FAKE_SNYK_\${sub}_EXIT"; report_var="FAKE_SNYK_\${sub}_REPORT"
rc="\${!exit_var:-0}"
if [ "$rc" -le 1 ] && [ -n "$out" ]; then cp "\${!report_var}" "$out"; fi
echo "snyk $sub: exit $rc"
exit "$rc"`;
