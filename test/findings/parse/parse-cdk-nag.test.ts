import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { errorMessage } from '../../../findings/errors.js';
import { loadReport } from '../../../findings/load/load-report.js';
import { parseReport } from '../../../findings/parse/parse-report.js';
import { userFrame } from '../../../findings/parse/cdk-stack-trace.js';
import { parseNagReportCsv } from '../../../findings/parse/parse-nag-report-csv.js';
import { runCli } from '../cli/run-cli.js';
import { fixture, parseJson, readFixture } from '../helpers.js';

// The fixtures were synthesized in /work/main (see test/fixtures/cdk-nag/SOURCES.txt): their stack traces
// carry that absolute root, so it is the source root here, whatever directory the tests run from.
const ROOT = '/work/main';
const V3 = fixture('cdk-nag/v3/validation-report.json');
const V2_JSON = fixture('cdk-nag/v2/AwsSolutions-NagFixture-NagReport.json');
const V2_CSV = fixture('cdk-nag/v2/AwsSolutions-NagFixture-NagReport.csv');

const tmp = mkdtempSync(join(tmpdir(), 'pipewarden-nag-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const summary = (f: { ruleId: string; tool: string; location?: { path: string; startLine?: number } }) =>
  `${f.tool} ${f.ruleId} ${f.location ? `${f.location.path}:${f.location.startLine}` : '-'}`;

describe('cdk synth validation report (cdk-nag v3)', () => {
  it('reads every violation of every plugin, acknowledged ones as suppressed with their reason', async () => {
    const report = await loadReport(V3, { sourceRoot: ROOT });
    expect(report.format).toBe('cdk-validation');
    // AwsSolutions: SQS3 + SQS4 on Orders, SQS4 on Audit acknowledged; cfn-guard: two rules on both queues.
    expect(report.findings).toHaveLength(7);
    const suppressed = report.findings.filter((f) => f.suppression);
    expect(suppressed.map(summary)).toEqual([
      'cdk-nag AwsSolutions-SQS4 test/fixtures/cdk-nag/app/main.ts:16',
    ]);
    expect(suppressed[0]!.suppression).toEqual({
      source: 'scanner',
      reason: 'Only the VPC endpoint can reach this queue; its policy enforces TLS.',
    });
    expect(
      report.findings
        .filter((f) => !f.suppression)
        .map(summary)
        .sort(),
    ).toEqual([
      'cdk-nag AwsSolutions-SQS3 test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-nag AwsSolutions-SQS4 test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-validator-cfnguard sqs_dlq_check test/fixtures/cdk-nag/app/main.ts:16',
      'cdk-validator-cfnguard sqs_dlq_check test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-validator-cfnguard sqs_queue_encrypted_check test/fixtures/cdk-nag/app/main.ts:16',
      'cdk-validator-cfnguard sqs_queue_encrypted_check test/fixtures/cdk-nag/app/orders-queue.ts:11',
    ]);
    for (const f of report.findings) {
      expect(f.kind).toBe('iac');
      expect(f.severity).toBe('HIGH');
      expect(f.originalSeverity).toBe('error');
      expect(f.description).toMatch(/Construct: NagFixture\/(Orders\/Queue|Audit)\/Resource/);
    }
    const guard = report.findings.find((f) => f.ruleId === 'sqs_dlq_check')!;
    expect(guard.helpUri).toBe(
      'https://github.com/cdklabs/cdk-validator-cfnguard#bundled-control-tower-rules',
    );
    expect(guard.remediation).toMatch(/RedrivePolicy/);
    const nag = report.findings.find((f) => f.ruleId === 'AwsSolutions-SQS3')!;
    expect(nag.title).toBe(
      'The SQS queue is not used as a dead-letter queue (DLQ) and does not have a DLQ enabled.',
    );
    // One finding per (rule, construct): every fingerprint differs.
    expect(new Set(report.findings.map((f) => f.fingerprint)).size).toBe(7);
  });

  it('keeps the fingerprints when the source root (and so the trace paths) moves', () => {
    const json = readFixture('cdk-nag/v3/validation-report.json');
    const moved = JSON.parse(
      JSON.stringify(json).replaceAll('/work/main/', '/codebuild/output/src123/src/'),
    ) as unknown;
    const a = parseJson(json, 'validation-report.json', ROOT).findings.map((f) => f.fingerprint);
    const b = parseJson(moved, 'validation-report.json', '/codebuild/output/src123/src').findings.map(
      (f) => f.fingerprint,
    );
    expect(b).toEqual(a);
  });

  it('drops a trace path outside the repository, with a warning', () => {
    const report = parseJson(readFixture('cdk-nag/v3/validation-report.json'), 'v.json', '/elsewhere');
    expect(report.findings.every((f) => f.location === undefined)).toBe(true);
    // One line for the file and kind, with the count, not one per violation.
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /^v.json: location dropped \(7 times; the first: absolute path outside the repository: /,
      ),
    ]);
  });

  it('counts a crashed plugin as a warning, not as a clean result', () => {
    const report = parseJson({
      version: '55.0.0',
      title: 'Validation Report',
      pluginReports: [
        {
          pluginName: 'cdk-validator-cfnguard',
          conclusion: 'failure',
          violations: [],
          metadata: { error: "Validation plugin 'cdk-validator-cfnguard' failed: spawn cfn-guard ENOENT" },
        },
      ],
    });
    expect(report.findings).toEqual([]);
    expect(report.warnings).toEqual([
      "report.json: validation plugin cdk-validator-cfnguard did not run: Validation plugin 'cdk-validator-cfnguard' failed: spawn cfn-guard ENOENT",
    ]);
  });

  it('reads the legacy policy-validation-report.json shape and custom severities', () => {
    const report = parseJson({
      title: 'Validation Report',
      pluginReports: [
        {
          summary: { pluginName: 'MyPack', status: 'failure' },
          violations: [
            {
              ruleName: 'MyPack-R1',
              description: 'Bucket is public. Really.',
              severity: 'custom',
              customSeverity: 'critical',
              violatingConstructs: [
                {
                  constructPath: 'S/Bucket/Resource',
                  templatePath: 'S.template.json',
                  resourceLogicalId: 'B1',
                },
              ],
            },
          ],
        },
      ],
    });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      tool: 'cdk-nag',
      ruleId: 'MyPack-R1',
      title: 'Bucket is public.',
      severity: 'CRITICAL',
      originalSeverity: 'critical',
    });
  });

  it('names the broken field of a damaged report', () => {
    const json = readFixture('cdk-nag/v3/validation-report.json') as {
      pluginReports: { violations: { ruleName?: unknown }[] }[];
    };
    delete json.pluginReports[0]!.violations[1]!.ruleName;
    expect(() => parseJson(json)).toThrow(
      'report.json: cdk-validation report with a broken field: field "pluginReports[0].violations[1].ruleName" should be a non-empty string, found nothing',
    );
  });
});

describe('cdk-nag v2 NagReport (JSON and CSV)', () => {
  it('reads only violations; suppressed ones keep their reason; the CSV says the same as the JSON', async () => {
    const json = await loadReport(V2_JSON, { sourceRoot: ROOT });
    const csv = await loadReport(V2_CSV, { sourceRoot: ROOT });
    expect(json.format).toBe('cdk-nag-v2');
    expect(csv.format).toBe('cdk-nag-v2');
    // 6 lines: 2 Compliant (skipped), 2 Non-Compliant, 2 Suppressed.
    expect(json.findings).toHaveLength(4);
    expect(csv.findings).toEqual(
      json.findings.map((f) => ({ ...f, sources: [{ ...f.sources[0]!, file: V2_CSV }] })),
    );
    // The creation stack traces in NagFixture.metadata.json beside the report give the source lines.
    expect(json.findings.map((f) => `${summary(f)} ${f.suppression?.reason ?? ''}`.trim())).toEqual([
      'cdk-nag AwsSolutions-SQS3 test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-nag AwsSolutions-SQS4 test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-nag AwsSolutions-SQS3 test/fixtures/cdk-nag/app/main.ts:16 Audit events are replayed from the source; a DLQ adds nothing.',
      'cdk-nag AwsSolutions-SQS4 test/fixtures/cdk-nag/app/main.ts:16 Only the VPC endpoint can reach this queue; its policy enforces TLS.',
    ]);
    expect(json.findings[0]).toMatchObject({ severity: 'HIGH', originalSeverity: 'Error', kind: 'iac' });
  });

  it('falls back to the resource in the template beside it, and to no location without one', async () => {
    const withTemplate = join(tmp, 'template-only');
    const bare = join(tmp, 'bare');
    for (const dir of [withTemplate, bare])
      cpSync(V2_JSON, join(dir, 'AwsSolutions-NagFixture-NagReport.json'));
    cpSync(fixture('cdk-nag/v2/NagFixture.template.json'), join(withTemplate, 'NagFixture.template.json'));
    const a = await loadReport(join(withTemplate, 'AwsSolutions-NagFixture-NagReport.json'), {
      sourceRoot: tmp,
    });
    const template = readFileSync(join(withTemplate, 'NagFixture.template.json'), 'utf8').split('\n');
    const line = (id: string) => template.findIndex((l) => l.includes(`"${id}": {`)) + 1;
    expect(a.findings.map((f) => f.location)).toEqual([
      { path: 'template-only/NagFixture.template.json', startLine: line('OrdersQueueC538DD4C') },
      { path: 'template-only/NagFixture.template.json', startLine: line('OrdersQueueC538DD4C') },
      { path: 'template-only/NagFixture.template.json', startLine: line('Audit3D8ADE0A') },
      { path: 'template-only/NagFixture.template.json', startLine: line('Audit3D8ADE0A') },
    ]);
    const b = await loadReport(join(bare, 'AwsSolutions-NagFixture-NagReport.json'), { sourceRoot: tmp });
    expect(b.findings.map((f) => f.location)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('places constructs only through the assembly its caller read: the parser reads no files', () => {
    const json = readFixture('cdk-nag/v2/AwsSolutions-NagFixture-NagReport.json');
    // The report's own path, with the assembly beside it on disk: still nothing is read without `beside`.
    expect(parseReport(json, V2_JSON, { sourceRoot: ROOT }).findings.map((f) => f.location)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    let reads = 0;
    const metadata = readFixture('cdk-nag/v2/NagFixture.metadata.json');
    const cdkAssembly = () => (reads++, { metadata: [metadata], templates: [] });
    const placed = parseReport(json, 'AwsSolutions-S-NagReport.json', { sourceRoot: ROOT }, { cdkAssembly });
    expect(placed.findings.map(summary)).toEqual([
      'cdk-nag AwsSolutions-SQS3 test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-nag AwsSolutions-SQS4 test/fixtures/cdk-nag/app/orders-queue.ts:11',
      'cdk-nag AwsSolutions-SQS3 test/fixtures/cdk-nag/app/main.ts:16',
      'cdk-nag AwsSolutions-SQS4 test/fixtures/cdk-nag/app/main.ts:16',
    ]);
    expect(reads).toBe(1);
    // A report with nothing to place asks for nothing.
    const compliant = (json as { lines: { compliance: string }[] }).lines.filter(
      (l) => l.compliance === 'Compliant',
    );
    parseReport({ lines: compliant }, 'AwsSolutions-S-NagReport.json', { sourceRoot: ROOT }, { cdkAssembly });
    expect(reads).toBe(1);
  });

  it('warns about rules that could not be evaluated', () => {
    const report = parseJson(
      {
        lines: [
          {
            ruleId: 'AwsSolutions-IAM5',
            resourceId: 'S/Role/DefaultPolicy/Resource',
            compliance: 'UNKNOWN',
            exceptionReason: 'N/A',
            ruleLevel: 'Error',
            ruleInfo: 'The IAM entity contains wildcard permissions.',
          },
        ],
      },
      'AwsSolutions-S-NagReport.json',
    );
    expect(report.findings).toEqual([]);
    expect(report.warnings[0]).toMatch(
      /could not be evaluated .*: AwsSolutions-IAM5 on S\/Role\/DefaultPolicy\/Resource/,
    );
  });

  it('parses quoted CSV fields (commas, doubled quotes, line breaks)', () => {
    const text =
      'Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info\r\n' +
      '"AwsSolutions-IAM5","S/Role/DefaultPolicy/Resource","Suppressed","[Resource::*] Logs, ""all"" of them\nby design","Error","The IAM entity contains wildcard permissions."\r\n';
    expect(parseNagReportCsv(text, 'r.csv').lines).toEqual([
      {
        ruleId: 'AwsSolutions-IAM5',
        resourceId: 'S/Role/DefaultPolicy/Resource',
        compliance: 'Suppressed',
        exceptionReason: '[Resource::*] Logs, "all" of them\nby design',
        ruleLevel: 'Error',
        ruleInfo: 'The IAM entity contains wildcard permissions.',
      },
    ]);
  });

  it('rejects a damaged CSV with one line naming the file and the row', async () => {
    const file = join(tmp, 'AwsSolutions-Broken-NagReport.csv');
    writeFileSync(
      file,
      'Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info\n"AwsSolutions-S1","S/B/Resource","Non-Compliant"\n',
    );
    await expect(loadReport(file, { sourceRoot: tmp })).rejects.toThrow(
      `pipewarden: ${file}: cdk-nag CSV report, row 2 has 3 fields instead of 6; regenerate it with cdk synth`,
    );
    writeFileSync(
      file,
      'Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info\n"AwsSolutions-S1","S',
    );
    const error = await loadReport(file, { sourceRoot: tmp }).catch((e: unknown) => e);
    expect(errorMessage(error)).toBe(
      `pipewarden: ${file}: cdk-nag CSV report with an unterminated quote at line 2`,
    );
  });

  it('rejects an unknown compliance value, naming the field', () => {
    expect(() =>
      parseJson({ lines: [{ ruleId: 'P-R1', resourceId: 'S/X', compliance: 'Maybe', ruleLevel: 'Error' }] }),
    ).toThrow(
      /field "lines\[0\]\.compliance" should be Compliant, Non-Compliant, Suppressed, UNKNOWN or N\/A/,
    );
  });
});

describe('user frames in stack traces', () => {
  it('skips library and Node frames, in every trace style', () => {
    expect(
      userFrame(
        '...new Queue2 in aws-cdk-lib...\nnew OrdersQueue (/r/infra/q.ts:11:18)\n...node internals...',
      ),
    ).toEqual({ file: '/r/infra/q.ts', line: 11, column: 18 });
    expect(
      userFrame(
        'at new Queue (/r/node_modules/aws-cdk-lib/aws-sqs/lib/queue.js:1:2345)\n    at Object.<anonymous> (/r/infra/app.ts:10:5)\n    at node:internal/modules/cjs/loader:1:1',
      ),
    ).toEqual({ file: '/r/infra/app.ts', line: 10, column: 5 });
    expect(userFrame('    at file:///r/infra/bin/app.ts:7:3')).toEqual({
      file: 'file:///r/infra/bin/app.ts',
      line: 7,
      column: 3,
    });
    expect(
      userFrame('...aws-cdk-lib...\n(no user code in 10 frames, use --stack-trace-limit to capture more)'),
    ).toBe(undefined);
  });
});

describe('the gate over cdk-nag findings', () => {
  it('fails on the unacknowledged violations, not on the acknowledged one', async () => {
    const { code, stdout } = await runCli(['gate', '--source-root', ROOT, V3]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/HIGH\s+7 {2}1 suppressed/);
    expect(stdout).toMatch(/gate FAILED/);
  });
});
