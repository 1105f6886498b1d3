import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadReport } from '../../findings/load/load-report.js';
import { fixture } from '../findings/helpers.js';
import { fakeTools, loadBuildspec, runBuildspec } from './run-buildspec.js';
import {
  ACCOUNT,
  SHA,
  ECR,
  DIGEST,
  basePath,
  runDir,
  useBuildspecRuns,
  pipelineEnv,
} from './buildspec-runs.js';

useBuildspecRuns();

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
