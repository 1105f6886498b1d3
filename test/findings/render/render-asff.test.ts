import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from '@jest/globals';
import type { Finding, FindingsDocument } from '../../../findings/model/finding.js';
import {
  asffTypes,
  cut,
  findingBytes,
  MAX_FINDING_BYTES,
  parseEcrImage,
  renderAsff,
  renderAsffText,
} from '../../../findings/render/render-asff.js';
import { RENDERERS } from '../../../findings/render/renderers.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../helpers.js';
import {
  BASELINE_FIXTURES,
  CONTEXT,
  fixtureDocument,
  PR_FIXTURES,
  reordered,
} from '../render/render-helpers.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const OPTIONS = { accountId: ACCOUNT, region: REGION };
const DOCS = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'asff-types.md'),
  'utf8',
);

/** What BatchImportFindings requires of every finding, with Security Hub's documented limits. */
function expectValidAsff(f: AwsSecurityFinding): void {
  for (const field of [
    'SchemaVersion',
    'Id',
    'ProductArn',
    'GeneratorId',
    'AwsAccountId',
    'CreatedAt',
    'UpdatedAt',
    'Title',
    'Description',
  ] as const) {
    expect(typeof f[field]).toBe('string');
    expect((f[field] as string).trim()).not.toBe('');
  }
  expect(f.SchemaVersion).toBe('2018-10-08');
  expect(f.ProductArn).toBe(`arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`);
  expect(f.AwsAccountId).toBe(ACCOUNT);
  expect(f.Id!.length).toBeLessThanOrEqual(512);
  expect(f.GeneratorId!.length).toBeLessThanOrEqual(512);
  expect(f.Title!.length).toBeLessThanOrEqual(256);
  expect(f.Description!.length).toBeLessThanOrEqual(1024);
  expect(new Date(f.CreatedAt!).toISOString()).toBe(f.CreatedAt);
  expect(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']).toContain(f.Severity?.Label);
  expect(f.Severity?.Original).toBeTruthy();
  expect(f.Types!.length).toBeGreaterThanOrEqual(1);
  for (const t of f.Types!) expect(DOCS).toContain(`\`${t}\``);
  expect(f.Resources!.length).toBeGreaterThanOrEqual(1);
  expect(f.Resources!.length).toBeLessThanOrEqual(32);
  for (const r of f.Resources!) {
    expect(r.Type).toBeTruthy();
    expect(r.Id).toBeTruthy();
  }
  if (f.Remediation) {
    expect(f.Remediation.Recommendation!.Text!.length).toBeLessThanOrEqual(512);
    if (f.Remediation.Recommendation!.Url) expect(f.Remediation.Recommendation!.Url).toMatch(/^https?:\/\//);
  }
  const fields = Object.entries(f.ProductFields ?? {});
  expect(fields.length).toBeLessThanOrEqual(50);
  for (const [k, v] of fields) {
    expect(k.length).toBeLessThanOrEqual(128);
    expect(v.length).toBeLessThanOrEqual(2048);
  }
  if (f.Note) expect(f.Note.Text!.length).toBeLessThanOrEqual(512);
  expect(['ACTIVE', 'ARCHIVED']).toContain(f.RecordState);
  expect(findingBytes(f)).toBeLessThanOrEqual(MAX_FINDING_BYTES);
}

describe('ASFF renderer', () => {
  const doc = fixtureDocument({ files: PR_FIXTURES, baseline: BASELINE_FIXTURES });

  it('gives every finding, current and fixed, every required field within its limits', () => {
    const asff = renderAsff(doc, OPTIONS);
    expect(asff).toHaveLength(doc.findings.length + doc.fixed.length);
    expect(doc.fixed.length).toBeGreaterThan(0);
    asff.forEach(expectValidAsff);
    expect(new Set(asff.map((f) => f.Id)).size).toBe(asff.length);
  });

  it('archives what the baseline had and this run does not, and flags suppressions', () => {
    const asff = renderAsff(doc, OPTIONS);
    const byId = new Map(asff.map((f) => [f.Id, f]));
    const id = (f: Finding) => `pipewarden/acme/shop/${f.fingerprint}`;
    for (const f of doc.fixed) {
      expect(byId.get(id(f))).toMatchObject({ RecordState: 'ARCHIVED', Workflow: { Status: 'RESOLVED' } });
      expect(byId.get(id(f))!.ProductFields!['pipewarden/Status']).toBe('fixed');
    }
    const suppressed = doc.findings.filter((f) => f.suppression);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const f of suppressed) {
      const a = byId.get(id(f))!;
      expect(a).toMatchObject({ RecordState: 'ACTIVE', Workflow: { Status: 'SUPPRESSED' } });
      expect(a.Note!.Text).toContain(f.suppression!.reason);
    }
    for (const f of doc.findings.filter((x) => !x.suppression))
      expect(byId.get(id(f))).toMatchObject({ RecordState: 'ACTIVE', Workflow: { Status: 'NEW' } });
  });

  it('keeps Ids and content across runs and orders: a re-import updates instead of duplicating', () => {
    const a = renderAsff(doc, OPTIONS);
    const b = renderAsff(reordered(doc, 7), OPTIONS);
    const sort = (xs: AwsSecurityFinding[]) => [...xs].sort((x, y) => x.Id!.localeCompare(y.Id!));
    expect(sort(b)).toEqual(sort(a));
    for (const f of a) expect(f.UpdatedAt).toBe(doc.generatedAt);
  });

  it('describes CVEs with the vulnerable package and whether a fix exists', () => {
    const asff = renderAsff(doc, OPTIONS);
    const cve = doc.findings.filter((f) => f.package && f.vulnerabilityIds.some((i) => i.startsWith('CVE-')));
    expect(cve.length).toBeGreaterThan(10);
    for (const f of cve) {
      const a = asff.find((x) => x.Id === `pipewarden/acme/shop/${f.fingerprint}`)!;
      expect(a.Types).toEqual(['Software and Configuration Checks/Vulnerabilities/CVE']);
      const ids = f.vulnerabilityIds.filter((i) => i.startsWith('CVE-'));
      expect(a.Vulnerabilities!.map((v) => v.Id)).toEqual(ids);
      const v = a.Vulnerabilities![0]!;
      expect(v.VulnerablePackages![0]).toMatchObject({ Name: f.package!.name });
      expect(v.FixAvailable).toBe(f.package!.fixedVersion ? 'YES' : 'NO');
      if (f.package!.fixedVersion) {
        expect(v.VulnerablePackages![0]!.FixedInVersion).toBe(f.package!.fixedVersion);
        expect(a.Remediation!.Recommendation!.Text).toBeTruthy();
      }
      if (f.cvss?.vector)
        expect(v.Cvss![0]).toMatchObject({ BaseScore: f.cvss.score, BaseVector: f.cvss.vector });
    }
  });

  it('links code findings to the file and line at the commit, and the repository as the resource', () => {
    const asff = renderAsff(doc, OPTIONS);
    const f = doc.findings.find((x) => x.kind === 'code' && x.location?.startLine)!;
    const a = asff.find((x) => x.Id === `pipewarden/acme/shop/${f.fingerprint}`)!;
    expect(a.SourceUrl).toBe(
      `https://github.com/acme/shop/blob/${CONTEXT.commit}/${f.location!.path}#L${f.location!.startLine}${f.location!.endLine && f.location!.endLine !== f.location!.startLine ? `-L${f.location!.endLine}` : ''}`,
    );
    expect(a.Resources).toEqual([
      {
        Type: 'Other',
        Id: 'https://github.com/acme/shop',
        Partition: 'aws',
        Region: REGION,
        Details: {
          Other: expect.objectContaining({
            Repository: 'acme/shop',
            Commit: CONTEXT.commit,
            Branch: 'feature/checkout',
            Path: f.location!.path,
          }),
        },
      },
    ]);
  });

  it('names the ECR image of container findings when the pipeline says which one it built', () => {
    const image = parseEcrImage(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop@sha256:${'ab'.repeat(32)}`, [
      CONTEXT.commit!,
      'main',
    ])!;
    expect(image).toEqual({
      registryId: ACCOUNT,
      region: REGION,
      repositoryName: 'shop',
      digest: `sha256:${'ab'.repeat(32)}`,
      tags: [CONTEXT.commit, 'main'],
    });
    const asff = renderAsff(doc, { ...OPTIONS, image });
    const container = doc.findings.filter((f) => f.kind === 'container');
    expect(container.length).toBeGreaterThan(0);
    for (const f of container) {
      const a = asff.find((x) => x.Id === `pipewarden/acme/shop/${f.fingerprint}`)!;
      expect(a.Resources![0]).toEqual({
        Type: 'AwsEcrContainerImage',
        Id: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop/sha256:${'ab'.repeat(32)}`,
        Partition: 'aws',
        Region: REGION,
        Details: {
          AwsEcrContainerImage: {
            RegistryId: ACCOUNT,
            RepositoryName: 'shop',
            ImageDigest: `sha256:${'ab'.repeat(32)}`,
            ImageTags: [CONTEXT.commit, 'main'],
          },
        },
      });
      expect(a.Resources![1]!.Type).toBe('Other');
    }
    expect(parseEcrImage('docker.io/library/node:20')).toBeUndefined();
    expect(parseEcrImage(`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1`)).toEqual({
      registryId: ACCOUNT,
      region: 'cn-north-1',
      repositoryName: 'app',
      tags: ['v1'],
    });
  });

  it('classifies by the documented taxonomy', () => {
    const t = (kind: Finding['kind'], ruleId = 'R', ids: string[] = []) =>
      asffTypes({ kind, ruleId, tool: 'x', vulnerabilityIds: ids });
    expect(t('dependency', 'R', ['CVE-2024-1'])).toEqual([
      'Software and Configuration Checks/Vulnerabilities/CVE',
    ]);
    expect(t('dependency', 'R', ['GHSA-abcd-efgh-ijkl'])).toEqual([
      'Software and Configuration Checks/Vulnerabilities',
    ]);
    expect(t('code')).toEqual(['Software and Configuration Checks/Vulnerabilities']);
    expect(t('iac', 'AwsSolutions-S1')).toEqual([
      'Software and Configuration Checks/AWS Security Best Practices',
    ]);
    expect(t('iac', 'HIPAA.Security-S3BucketLoggingEnabled')).toEqual([
      'Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls (USA)',
    ]);
    expect(t('iac', 'NIST.800.53.R5-IAMNoInlinePolicy')).toEqual([
      'Software and Configuration Checks/Industry and Regulatory Standards/NIST 800-53 Controls (USA)',
    ]);
    expect(t('iac', 'PCI.DSS.321-S3BucketVersioningEnabled')).toEqual([
      'Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS',
    ]);
    expect(t('secret')).toEqual(['Sensitive Data Identifications/Security']);
    expect(t('other')).toEqual(['Software and Configuration Checks']);
    for (const kind of ['dependency', 'container', 'code', 'iac', 'secret', 'other'] as const)
      for (const [rule, ids] of [
        ['R', ['CVE-1']],
        ['HIPAA.Security-X', []],
        ['NIST.800.53.R4-X', []],
        ['PCI.DSS.321-X', []],
      ] as const)
        for (const type of t(kind, rule, [...ids])) expect(DOCS).toContain(`\`${type}\``);
  });

  it('trims an oversized finding to 240 KB, long lists first, and says so', () => {
    const base = doc.findings.find((f) => f.package && f.vulnerabilityIds.some((i) => i.startsWith('CVE-')))!;
    const huge: Finding = {
      ...base,
      title: '🔥'.repeat(400),
      description: 'x'.repeat(100_000),
      remediation: 'upgrade '.repeat(1000),
      vulnerabilityIds: Array.from({ length: 5000 }, (_, i) => `CVE-2024-${10000 + i}`),
      helpUri: `https://example.com/${'p'.repeat(900)}`,
    };
    const [a] = renderAsff({ ...doc, findings: [huge], fixed: [] }, OPTIONS);
    expectValidAsff(a!);
    expect(a!.ProductFields!['pipewarden/Trimmed']).toBe('true');
    expect(a!.Vulnerabilities!.length).toBeGreaterThan(0);
    expect(a!.Vulnerabilities!.length).toBeLessThan(5000);
    // Cut by characters, never leaving half a surrogate pair.
    expect(a!.Title!.length).toBeLessThanOrEqual(256);
    expect(a!.Title).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(cut('ab🔥', 3)).toBe('ab…');
  });

  it('refuses to render without an account and region, naming the flags', () => {
    expect(() => renderAsff(doc, {})).toThrow(
      'pipewarden: ASFF needs the AWS account and region, and neither is known: pass --account <12-digit id> and --region <region> (defaults: the account in CODEBUILD_BUILD_ARN, AWS_REGION)',
    );
    expect(() => renderAsff(doc, { region: REGION })).toThrow(/the account is not known: pass --account/);
    expect(() => renderAsff(doc, { accountId: '12345', region: REGION })).toThrow(
      'pipewarden: --account 12345: not an AWS account id; pass the 12-digit account number',
    );
    expect(() => renderAsff(doc, { accountId: ACCOUNT, region: 'Frankfurt' })).toThrow(/--region Frankfurt/);
    // The string renderer fails before producing any chunk.
    expect(() => renderAsffText(doc, {})).toThrow(/--account/);
  });

  it('is the `asff` output of `report`, with account and region from CodeBuild by default', async () => {
    expect(RENDERERS.has('asff')).toBe(true);
    const report = fixture('snyk/test-report-with-risk-scores.json');
    const env = {
      CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${REGION}:${ACCOUNT}:build/shop-gate:1f2e`,
      AWS_REGION: REGION,
      GITHUB_REPOSITORY: 'acme/shop',
    };
    const ok = await runCli(['report', '--format', 'asff', report], env);
    expect(ok.code).toBe(0);
    const asff = JSON.parse(ok.stdout) as AwsSecurityFinding[];
    expect(asff.length).toBeGreaterThan(0);
    asff.forEach(expectValidAsff);
    const missing = await runCli(['report', '--format', 'asff', report], {
      CODEBUILD_BUILD_ARN: undefined,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
    });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim()).toMatch(
      /^pipewarden: ASFF needs the AWS account and region.*--account.*--region/,
    );
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('renders an empty document as an empty array', () => {
    const empty: FindingsDocument = { ...doc, findings: [], fixed: [] };
    expect([...renderAsffText(empty, OPTIONS)].join('')).toBe('[]\n');
  });
});
