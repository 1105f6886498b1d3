import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { fakeTools, loadBuildspec, runBuildspec, type Buildspec } from './run-buildspec.js';
import { basePath, runDir, useBuildspecRuns } from './buildspec-runs.js';

useBuildspecRuns();

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
