import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../helpers.js';
import { FakeAws } from '../../support/fake-aws.js';

const ACCOUNT = '123456789012';
const SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const BUCKET = 'acme-findings';
const EXECUTION = 'b59c0d4e-0000-4000-8000-000000000001';
const REPORTS = [
  fixture('snyk/test-report-with-reachability.json'),
  fixture('inspector/scan-sbom-output_alpine-3.18.2.cdx.json'),
  fixture('snyk/iac-test-report.json'),
];
const BASELINE_REPORTS = [
  fixture('snyk/test-report-with-risk-scores.json'),
  fixture('snyk/iac-test-report.json'),
];

let fake: FakeAws;
const tmp = mkdtempSync(join(tmpdir(), 'pipewarden-publish-'));
/** What CodeBuild would set for the gate project, pointed at the fake. */
const env = (extra: Record<string, string | undefined> = {}) => ({
  ...fake.env(),
  CODEBUILD_BUILD_ARN: `arn:aws:codebuild:eu-central-1:${ACCOUNT}:build/shop-gate:0f1e`,
  PIPEWARDEN_REPO: 'acme/shop',
  PIPEWARDEN_COMMIT: SHA,
  PIPEWARDEN_BRANCH: 'main',
  PIPEWARDEN_BASELINE_BRANCH: 'main',
  PIPEWARDEN_FINDINGS_BUCKET: BUCKET,
  PIPEWARDEN_PIPELINE: 'shop-main',
  PIPEWARDEN_PIPELINE_KIND: 'main',
  PIPEWARDEN_EXECUTION_ID: EXECUTION,
  PIPEWARDEN_IMAGE_URI: undefined,
  CODEBUILD_SRC_DIR: '/src/repo',
  ...extra,
});

beforeAll(async () => {
  fake = await new FakeAws().start();
  // A baseline document: what main looked like before, so some findings are fixed now.
  const base = await runCli(
    ['report', '--format', 'json', '--out', join(tmp, 'baseline.json'), ...BASELINE_REPORTS],
    env(),
  );
  expect(base.code).toBe(0);
});
afterAll(async () => {
  await fake.stop();
  rmSync(tmp, { recursive: true, force: true });
});
// Every request the code sent conforms to the AWS API model and the limits the fakes check.
afterEach(() => expect(fake.rejected).toEqual([]));
beforeEach(() => {
  fake.reset();
  fake.s3.buckets.add(BUCKET);
});

describe('pipewarden publish securityhub', () => {
  it('imports every finding once, archives the fixed ones, and survives throttling', async () => {
    fake.securityHub.answer = (n) =>
      n === 1 ? { status: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' } : undefined;
    const run = await runCli(
      ['publish', 'securityhub', '--baseline', join(tmp, 'baseline.json'), ...REPORTS],
      env(),
    );
    expect(run.stderr).toMatch(/Security Hub throttled; retrying/);
    expect(run.code).toBe(0);
    const received = [...fake.securityHub.received.values()] as { RecordState: string; ProductArn: string }[];
    expect(received.length).toBeGreaterThan(0);
    for (const n of fake.securityHub.imported.values()) expect(n).toBe(1);
    const archived = received.filter((f) => f.RecordState === 'ARCHIVED');
    expect(archived.length).toBeGreaterThan(0);
    expect(received[0]!.ProductArn).toBe(
      `arn:aws:securityhub:eu-central-1:${ACCOUNT}:product/${ACCOUNT}/default`,
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^pipewarden: Security Hub \\(${ACCOUNT}, eu-central-1\\): imported ${received.length} of ${received.length} finding\\(s\\) \\(${archived.length} archived as fixed\\) in 2 request\\(s\\), 1 retried`,
      ),
    );
  });

  it('sends exactly the same findings when the same document is published again', async () => {
    const doc = join(tmp, 'doc.json');
    expect((await runCli(['report', '--format', 'json', '--out', doc, ...REPORTS], env())).code).toBe(0);
    expect((await runCli(['publish', 'securityhub', '--document', doc], env())).code).toBe(0);
    const first = new Map(fake.securityHub.received);
    fake.securityHub.received.clear();
    expect((await runCli(['publish', 'securityhub', '--document', doc], env())).code).toBe(0);
    expect(new Map(fake.securityHub.received)).toEqual(first);
  });

  it('names the ECR image of container findings', async () => {
    const uri = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/shop@sha256:${'c'.repeat(64)}`;
    const run = await runCli(
      ['publish', 'securityhub', fixture('snyk/test-report-container-with-app-vulns.json')],
      env({ PIPEWARDEN_IMAGE_URI: uri }),
    );
    expect(run.code).toBe(0);
    const types = [...fake.securityHub.received.values()].map(
      (f) => (f as { Resources: { Type: string }[] }).Resources[0]!.Type,
    );
    expect(types).toContain('AwsEcrContainerImage');
    const bad = await runCli(
      ['publish', 'securityhub', REPORTS[0]!],
      env({ PIPEWARDEN_IMAGE_URI: 'nginx:latest' }),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^pipewarden: --image nginx:latest: not an ECR image URI/);
  });

  it('imports findings another writer was updating (ConcurrentUpdateError) on a later try, exit 0', async () => {
    const tries = new Map<string, number>();
    fake.securityHub.answer = (_n, batch) => {
      const fail: Record<string, string> = {};
      batch.forEach((f, i) => {
        const n = (tries.get(f.Id) ?? 0) + 1;
        tries.set(f.Id, n);
        if (n === 1 && i % 3 === 0) fail[f.Id] = i % 2 ? 'InternalFailure' : 'ConcurrentUpdateError';
      });
      return { fail };
    };
    const run = await runCli(['publish', 'securityhub', ...REPORTS], env());
    expect(run.stderr).not.toMatch(/did not import/);
    expect(run.code).toBe(0);
    const total = fake.securityHub.imported.size;
    expect([...tries.values()].filter((n) => n === 2).length).toBeGreaterThan(0);
    for (const n of fake.securityHub.imported.values()) expect(n).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`imported ${total} of ${total} finding\\(s\\)`));
  });

  it('exits 3 and names the findings Security Hub would not take', async () => {
    let victim = '';
    fake.securityHub.answer = (_n, batch) => {
      victim ||= batch[2]!.Id;
      return batch.some((f) => f.Id === victim) ? { fail: { [victim]: 'InvalidInput' } } : undefined;
    };
    const run = await runCli(['publish', 'securityhub', ...REPORTS], env());
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(
      `pipewarden: Security Hub did not import 1 finding(s): ${victim} (InvalidInput: injected InvalidInput); run the publish again (it is idempotent) or fix the findings named`,
    );
    expect(fake.securityHub.imported.has(victim)).toBe(false);
  });

  it('refuses to start without an account or region, naming the flags, before any request', async () => {
    const run = await runCli(
      ['publish', 'securityhub', ...REPORTS],
      env({ CODEBUILD_BUILD_ARN: undefined, AWS_ACCOUNT_ID: undefined }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'pipewarden: ASFF needs the AWS account and region, and the account is not known: pass --account <12-digit id> and --region <region> (defaults: the account in CODEBUILD_BUILD_ARN, AWS_REGION)\n',
    );
    expect(fake.log).toEqual([]);
  });

  it('says the token expired, in one line', async () => {
    fake.expiredToken = true;
    const run = await runCli(['publish', 'securityhub', ...REPORTS], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'pipewarden: Security Hub BatchImportFindings in eu-central-1: the AWS credentials have expired (ExpiredTokenException); refresh them (re-assume the role, or aws sso login) and run again\n',
    );
  });

  it('sends nothing for a missing or malformed report', async () => {
    const missing = await runCli(['publish', 'securityhub', join(tmp, 'nope.json')], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pipewarden: .*nope\.json: cannot read the report \(no such file\)/);
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{"vulnerabilities": [');
    const malformed = await runCli(['publish', 'securityhub', broken], env());
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^pipewarden: .*broken\.json: not valid JSON at line 1, column 22/);
    expect(malformed.stderr.trim().split('\n')).toHaveLength(1);
    const nothing = await runCli(['publish', 'securityhub'], env());
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^pipewarden: nothing to publish: give the reports/);
    expect(fake.log).toEqual([]);
  });
});

describe('pipewarden publish s3', () => {
  it('stores the execution’s and the commit’s findings and the baseline of main', async () => {
    const run = await runCli(['publish', 's3', ...REPORTS], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const prefix = `acme/shop/commits/${SHA}/`;
    const exec = `acme/shop/pipelines/shop-main/executions/${EXECUTION}/`;
    expect(run.stdout.trim().split('\n')).toEqual([
      `pipewarden: stored s3://${BUCKET}/${exec}findings.sarif`,
      `pipewarden: stored s3://${BUCKET}/${exec}findings.md`,
      `pipewarden: stored s3://${BUCKET}/${exec}findings.json`,
      `pipewarden: stored s3://${BUCKET}/${prefix}findings.sarif`,
      `pipewarden: stored s3://${BUCKET}/${prefix}findings.md`,
      `pipewarden: stored s3://${BUCKET}/${prefix}findings.json`,
      `pipewarden: stored s3://${BUCKET}/acme/shop/branches/main/latest.json`,
    ]);
    const doc = JSON.parse(
      fake.s3.objects.get(`${BUCKET}/${prefix}findings.json`)!.body.toString('utf8'),
    ) as FindingsDocument;
    expect(doc.context).toMatchObject({
      repo: 'acme/shop',
      commit: SHA,
      branch: 'main',
      pipeline: 'shop-main',
      pipelineExecutionId: EXECUTION,
      pipelineKind: 'main',
    });
    expect(doc.inputs.map((i) => i.file)).toEqual(REPORTS);
    const sarif = JSON.parse(
      fake.s3.objects.get(`${BUCKET}/${prefix}findings.sarif`)!.body.toString('utf8'),
    ) as {
      version: string;
    };
    expect(sarif.version).toBe('2.1.0');
    expect(
      fake.s3.objects.get(`${BUCKET}/${prefix}findings.md`)!.body.toString('utf8').length,
    ).toBeGreaterThan(0);
  });

  it('fetch baseline then gives the gate what publish stored', async () => {
    const out = join(tmp, 'fetched-baseline.json');
    rmSync(out, { force: true });
    const none = await runCli(['fetch', 'baseline', '--out', out], env());
    expect(none.code).toBe(0);
    expect(none.stdout).toBe(
      `pipewarden: no baseline yet at s3://${BUCKET}/acme/shop/branches/main/latest.json: the first run on main; the gate runs without one\n`,
    );
    expect(() => readFileSync(out)).toThrow();
    expect((await runCli(['publish', 's3', ...REPORTS], env())).code).toBe(0);
    const got = await runCli(['fetch', 'baseline', '--out', out], env());
    expect(got.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(
      fake.s3.objects.get(`${BUCKET}/acme/shop/branches/main/latest.json`)!.body.toString('utf8'),
    );
    const gate = await runCli(['gate', '--baseline', out, ...REPORTS], env());
    expect(gate.stdout).toMatch(/fixed since the baseline: 0/);
  });

  it('fetch baseline --policy-out always writes a policy: {} before main recorded one, then main’s own', async () => {
    const policyOut = join(tmp, 'base-policy.yml');
    const first = await runCli(
      ['fetch', 'baseline', '--out', join(tmp, 'b0.json'), '--policy-out', policyOut],
      env(),
    );
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      `pipewarden: no baseline yet at s3://${BUCKET}/acme/shop/branches/main/latest.json: the first run on main; the gate runs without one`,
      `pipewarden: main has recorded no policy yet (no baseline): pipewarden’s defaults apply → ${policyOut}`,
    ]);
    expect(readFileSync(policyOut, 'utf8')).toBe('# pipewarden-policy: origin=default branch=main\n{}');
    // A baseline written before policies were recorded: still the defaults, and the commit is named.
    expect((await runCli(['publish', 's3', ...REPORTS], env())).code).toBe(0);
    const latestKey = `${BUCKET}/acme/shop/branches/main/latest.json`;
    const stored = JSON.parse(fake.s3.objects.get(latestKey)!.body.toString('utf8')) as FindingsDocument;
    expect(stored.policy).toEqual({ origin: 'default', text: '{}' });
    delete stored.policy;
    fake.s3.objects.get(latestKey)!.body = Buffer.from(JSON.stringify(stored));
    const old = await runCli(
      ['fetch', 'baseline', '--out', join(tmp, 'b1.json'), '--policy-out', policyOut],
      env(),
    );
    expect(old.stdout).toMatch(
      new RegExp(
        `main has recorded no policy yet \\(its baseline at main@${SHA} carries none\\): pipewarden’s defaults apply`,
      ),
    );
    expect(readFileSync(policyOut, 'utf8')).toBe(
      `# pipewarden-policy: origin=default branch=main commit=${SHA}\n{}`,
    );
    // Main's gate reads the checkout's own .github/pipewarden.yml (reviewed code) and records it in latest.json.
    const checkout = join(tmp, 'main-checkout');
    const text = 'gate:\n  failOn: high # main decides\n';
    mkdirSync(join(checkout, '.github'), { recursive: true });
    writeFileSync(join(checkout, '.github', 'pipewarden.yml'), text);
    expect((await runCli(['publish', 's3', '--source-root', checkout, ...REPORTS], env())).code).toBe(0);
    const got = await runCli(
      ['fetch', 'baseline', '--out', join(tmp, 'b2.json'), '--policy-out', policyOut],
      env(),
    );
    expect(got.code).toBe(0);
    expect(got.stdout.trim().split('\n')[1]).toBe(
      `pipewarden: policy of main@${SHA} (.github/pipewarden.yml, as its gate applied it) → ${policyOut}`,
    );
    expect(readFileSync(policyOut, 'utf8')).toBe(
      `# pipewarden-policy: origin=base-branch file=.github%2Fpipewarden.yml branch=main commit=${SHA}\n${text}`,
    );
  });

  it('a feature run: the base branch’s policy fails the change that relaxes its own, and only its execution is stored', async () => {
    // main's run: its checkout's policy (fail on high) goes into latest.json.
    const mainCheckout = join(tmp, 'main-checkout-2');
    mkdirSync(join(mainCheckout, '.github'), { recursive: true });
    writeFileSync(join(mainCheckout, '.github', 'pipewarden.yml'), 'gate:\n  failOn: high\n');
    expect(
      (await runCli(['publish', 's3', '--source-root', mainCheckout, ...BASELINE_REPORTS], env())).code,
    ).toBe(0);
    // The pull request's checkout: failOn critical and a catch-all suppression (issue 10).
    const branch = join(tmp, 'branch-checkout');
    mkdirSync(join(branch, '.github'), { recursive: true });
    const proposed = join(branch, '.github', 'pipewarden.yml');
    writeFileSync(
      proposed,
      'gate:\n  failOn: critical\nsuppressions:\n  - path: "**"\n    reason: noise\n  - package: brace-expansion\n    reason: noise\n  - package: ejs\n    reason: noise\n',
    );
    const FEATURE_SHA = '3333333333333333333333333333333333333333';
    const feature = env({
      PIPEWARDEN_PIPELINE: 'shop-feature',
      PIPEWARDEN_PIPELINE_KIND: 'feature',
      PIPEWARDEN_BRANCH: 'feature/quiet',
      PIPEWARDEN_COMMIT: FEATURE_SHA,
      CODEBUILD_SRC_DIR: branch,
    });
    const baseline = join(tmp, 'feature-baseline.json');
    const policy = join(tmp, 'feature-policy.yml');
    expect(
      (await runCli(['fetch', 'baseline', '--out', baseline, '--policy-out', policy], feature)).code,
    ).toBe(0);
    const out = join(tmp, 'feature-findings.json');
    const gate = await runCli(
      [
        'gate',
        '--baseline',
        baseline,
        '--config',
        policy,
        '--proposed-config',
        proposed,
        '--out',
        out,
        ...REPORTS,
      ],
      feature,
    );
    expect(gate.code).toBe(1);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as FindingsDocument;
    expect(doc.policy).toMatchObject({ origin: 'base-branch', branch: 'main', commit: SHA });
    // What the branch's policy would let through: findings that fail the gate now.
    expect(doc.policyChange!.wouldLetThrough.length).toBeGreaterThan(0);
    expect(doc.policyChange!.summary[0]).toBe('gate.failOn: HIGH → CRITICAL');
    expect(doc.context).toMatchObject({
      pipeline: 'shop-feature',
      pipelineKind: 'feature',
      pipelineExecutionId: EXECUTION,
    });
    fake.log.length = 0;
    const before = new Map([...fake.s3.objects].map(([k, v]) => [k, v.etag]));
    const pub = await runCli(['publish', 's3', '--document', out, '--execution-only'], feature);
    expect(pub.code).toBe(0);
    const exec = `acme/shop/pipelines/shop-feature/executions/${EXECUTION}/`;
    // The requests the store got: three PUTs under this execution, nothing under commits/ or branches/.
    expect(fake.log).toEqual(
      ['findings.sarif', 'findings.md', 'findings.json'].map((f) => `PUT /${BUCKET}/${exec}${f}`),
    );
    for (const [key, etag] of before) expect(fake.s3.objects.get(key)!.etag).toBe(etag);
    expect(pub.stdout).toContain(
      'pipewarden: --execution-only: only this execution’s findings were stored (no commits/, no latest.json)',
    );
    const md = fake.s3.objects.get(`${BUCKET}/${exec}findings.md`)!.body.toString('utf8');
    expect(md).toContain(
      `the gate used the policy of main@${SHA.slice(0, 12)}. After merge it would **${doc.policyChange!.wouldPass ? 'pass' : 'fail'}** (it fails now): ${doc.policyChange!.wouldLetThrough.length} finding`,
    );
  });

  it('refuses to publish without the pipeline execution, naming the variables, and writes nothing', async () => {
    const run = await runCli(['publish', 's3', ...REPORTS], env({ PIPEWARDEN_EXECUTION_ID: undefined }));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'pipewarden: the pipeline execution is unknown: pass --execution <id> (default: PIPEWARDEN_EXECUTION_ID, which the pipeline sets) to the gate or to publish\n',
    );
    const bad = await runCli(['publish', 's3', '--pipeline', '../main', ...REPORTS], env());
    expect(bad.stderr).toMatch(/^pipewarden: the pipeline is "\.\.\/main", not a CodePipeline name/);
    expect(fake.log).toEqual([]);
  });

  it('refuses without a bucket, or with one that does not exist, and writes nothing', async () => {
    const noFlag = await runCli(
      ['publish', 's3', ...REPORTS],
      env({ PIPEWARDEN_FINDINGS_BUCKET: undefined }),
    );
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toBe(
      'pipewarden: no findings bucket: pass --bucket <name> or set PIPEWARDEN_FINDINGS_BUCKET (the pipeline sets it)\n',
    );
    const missing = await runCli(['publish', 's3', '--bucket', 'gone', ...REPORTS], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pipewarden: --bucket gone: no such bucket;/);
    expect(fake.s3.objects.size).toBe(0);
  });

  it('writes nothing for a malformed report or a document that is not one', async () => {
    const broken = join(tmp, 'broken2.json');
    writeFileSync(broken, '{"runs": "no"');
    const bad = await runCli(['publish', 's3', broken], env());
    expect(bad.code).toBe(2);
    const notDoc = await runCli(['publish', 's3', '--document', REPORTS[0]!], env());
    expect(notDoc.code).toBe(2);
    expect(notDoc.stderr).toMatch(/--document .*: not a valid pipewarden findings document/);
    const both = await runCli(['publish', 's3', '--document', REPORTS[0]!, REPORTS[1]!], env());
    expect(both.stderr).toBe('pipewarden: give either reports or --document <file>, not both\n');
    expect(fake.log).toEqual([]);
  });

  it('says the token expired, in one line, for the store too', async () => {
    fake.expiredToken = true;
    const run = await runCli(['publish', 's3', ...REPORTS], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^pipewarden: S3 PutObject s3:\/\/acme-findings\/.*the AWS credentials have expired \(ExpiredToken\)/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const fetchRun = await runCli(['fetch', 'baseline', '--out', join(tmp, 'x.json')], env());
    expect(fetchRun.code).toBe(2);
    expect(fetchRun.stderr).toMatch(/the AWS credentials have expired/);
  });

  it('has --help on every new command', async () => {
    for (const args of [
      ['publish', '--help'],
      ['publish', 's3', '--help'],
      ['publish', 'securityhub', '--help'],
      ['fetch', '--help'],
      ['fetch', 'inspector', '--help'],
      ['fetch', 'baseline', '--help'],
    ]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: pipewarden (publish|fetch)/);
    }
  });
});
