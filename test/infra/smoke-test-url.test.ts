/* eslint-disable @typescript-eslint/no-explicit-any -- templates are plain JSON */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { parse } from 'yaml';
import { smokeTestBuildspec } from '../../infra/lib/constructs/smoke-test.js';
import { fakeTools } from '../buildspecs/run-buildspec.js';
import { loadTemplates } from '../support/synth-cache.js';

// The staging URL of examples/org lives in an SSM parameter of the staging account: whoever can write it there
// must not run a command in the tooling account's smoke test build (its role writes the artifact bucket).

/** The smoke test project that reads its URL from another account, as synthesized (examples/org). */
let project: { commands: string; env: Record<string, string> };
beforeAll(() => {
  const org = loadTemplates('organisation');
  const found = org.stackNames
    .flatMap((name) => Object.values(org.template(name).toJSON().Resources as Record<string, any>))
    .filter((r) => r.Type === 'AWS::CodeBuild::Project')
    .map((r) => ({
      // inline buildspecs: JSON (CDK's fromObject) or YAML (the platform's files)
      spec: parse(String(r.Properties.Source.BuildSpec)),
      env: Object.fromEntries(
        ((r.Properties.Environment.EnvironmentVariables ?? []) as { Name: string; Value: unknown }[]).map(
          (v) => [v.Name, v.Value],
        ),
      ),
    }))
    .filter((p) => 'PIPEWARDEN_SMOKE_URL_PARAMETER' in p.env);
  expect(found.length).toBeGreaterThan(0);
  const [first] = found;
  project = {
    commands: (first.spec.phases.build.commands as string[]).join('\n'),
    env: first.env as Record<string, string>,
  };
  // Every project of that kind runs the same commands.
  for (const p of found) expect(p.spec.phases.build.commands.join('\n')).toBe(project.commands);
}, 900_000);

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/**
 * Runs the build commands with a stand-in `aws` (STS answers credentials, SSM answers `value`) and `curl` (records
 * each URL it is asked for and answers 200), in a fresh directory.
 */
function run(commands: string, env: Record<string, string>, value: string | { denied: true }) {
  const dir = mkdtempSync(join(tmpdir(), 'pipewarden-smoke-url-'));
  dirs.push(dir);
  const bin = fakeTools(dir, {
    aws: `case "$1 $2" in
  "sts assume-role") echo '{"AccessKeyId":"AKIA","SecretAccessKey":"s","SessionToken":"t"}' ;;
  "ssm get-parameter")
    [ -z "$FAKE_SSM_DENIED" ] || { echo "An error occurred (AccessDeniedException) when calling the GetParameter operation" >&2; exit 254; }
    printf '%s\\n' "$FAKE_SSM_VALUE" ;;
  *) echo "aws $*: not faked" >&2; exit 9 ;;
esac`,
    curl: 'printf \'%s\\n\' "${@: -1}" >> "$FAKE_CURL_LOG"; printf 200',
  });
  const result = spawnSync('bash', ['-c', commands], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      ...env,
      PATH: `${bin}:${process.env.PATH}`,
      CODEBUILD_BUILD_NUMBER: '7',
      ...(typeof value === 'string' ? { FAKE_SSM_VALUE: value } : { FAKE_SSM_DENIED: '1' }),
      FAKE_CURL_LOG: join(dir, 'curl.log'),
    },
  });
  const log = join(dir, 'curl.log');
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    urls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [],
    executed: existsSync(join(dir, 'pwned')),
  };
}

// Each would run `touch pwned` in the build if the value reached sed, eval or an unquoted expansion.
const HOSTILE = [
  'touch pwned;|e;#', // GNU sed's e flag: runs the substituted line
  'https://a.example|e touch pwned|',
  'https://a.example/$(touch pwned)',
  'https://a.example`touch pwned`',
  'https://a.example; touch pwned',
  'https://a.example\ntouch pwned',
  'https://a.example/health',
  'https://a.example:8080',
  '',
];

describe('the smoke test of an environment in another account reads its URL from there (examples/org)', () => {
  it('checks the URL the service stack wrote, with each configured path', () => {
    const result = run(project.commands, project.env, 'https://acme-staging-123.eu-west-1.elb.amazonaws.com');
    expect(result.output).not.toContain('not a URL');
    expect(result.status).toBe(0);
    expect(result.urls).toEqual(
      project.env.PIPEWARDEN_SMOKE_URLS.split('\n').map(
        (p) => `https://acme-staging-123.eu-west-1.elb.amazonaws.com${p}`,
      ),
    );
    expect(result.urls.length).toBeGreaterThan(0);
  });

  it.each(HOSTILE)('refuses the value %j in one line, before any request, and never runs it', (value) => {
    const result = run(project.commands, project.env, value);
    expect(result.executed).toBe(false);
    expect(result.status).not.toBe(0);
    expect(result.urls).toEqual([]);
    const refusal = result.output.split('\n').filter((l) => l.includes('not a URL'));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(
      new RegExp(
        `^pipewarden smoke test: ${project.env.PIPEWARDEN_SMOKE_URL_PARAMETER} is not a URL such as https://.*; redeploy the staging service stack, which writes it$`,
      ),
    );
  });

  it('fails in one line naming the parameter when it cannot be read', () => {
    const result = run(project.commands, project.env, { denied: true });
    expect(result.status).not.toBe(0);
    expect(result.urls).toEqual([]);
    expect(result.output).toContain(
      `pipewarden smoke test: cannot read ${project.env.PIPEWARDEN_SMOKE_URL_PARAMETER} through ${project.env.PIPEWARDEN_ENVIRONMENT_ROLE}: deploy the staging service stack first`,
    );
  });

  it('does the same when the environment is in another region', () => {
    const commands = JSON.parse(new Stack().resolve(smokeTestBuildspec(true, true).toBuildSpec())).phases
      .build.commands as string[];
    const env = { ...project.env, PIPEWARDEN_ENVIRONMENT_REGION: 'eu-central-1' };
    expect(run(commands.join('\n'), env, 'touch pwned;|e;#').executed).toBe(false);
    const ok = run(commands.join('\n'), env, 'http://internal-a-1.eu-central-1.elb.amazonaws.com');
    expect(ok.status).toBe(0);
    expect(ok.urls[0]).toMatch(/^http:\/\/internal-a-1\.eu-central-1\.elb\.amazonaws\.com\//);
  });
});
