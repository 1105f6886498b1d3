import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadReport } from '../../../findings/load/load-report.js';
import { runCli } from '../cli/run-cli.js';
import { readFixture } from '../helpers.js';
import { Inspector2Client, ListCoverageCommand } from '@aws-sdk/client-inspector2';
import { FakeAws } from '../../support/fake-aws.js';
import { codeRepositoryCoverage, InspectorCoverageFake } from './inspector-coverage-fake.js';

interface Wire {
  findings: Record<string, unknown>[];
  codeSnippetResults: Record<string, unknown>[];
  codeSnippetErrors: Record<string, unknown>[];
}
const WIRE = readFixture('aws/inspector2-code-repository.wire.json') as Wire;

let fake: FakeAws;
let coverage: InspectorCoverageFake;
const tmp = mkdtempSync(join(tmpdir(), 'pipewarden-inspector-'));

beforeAll(async () => {
  fake = await new FakeAws().start();
  coverage = new InspectorCoverageFake(fake);
});
afterAll(async () => {
  await fake.stop();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  fake.inspector.findings = WIRE.findings;
  fake.inspector.snippets = WIRE.codeSnippetResults;
  fake.inspector.snippetErrors = WIRE.codeSnippetErrors;
  coverage.reset();
  // Both repositories the tests fetch are onboarded and scanned; another project is there too.
  coverage.resources = [
    codeRepositoryCoverage('acme/other', 'ACTIVE', 'SUCCESSFUL'),
    codeRepositoryCoverage('acme/shop', 'ACTIVE', 'SUCCESSFUL', {
      lastScannedCommitId: 'c0ffee1',
      lastScannedAt: 1732700000,
    }),
    codeRepositoryCoverage('acme/empty', 'ACTIVE', 'SUCCESSFUL'),
  ];
});

/** A client of the fake, as the CLI builds one from fake.env(). */
const clientOf = (f: FakeAws) => ({
  endpoint: f.url,
  region: 'eu-central-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
});

const NO_FIX =
  'onboard it (the GitHub integration and a scan configuration, docs/inspector-code-security.md) and run again, or pass --allow-not-covered (PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=true) to report it as not scanned';

describe('pipewarden fetch inspector', () => {
  it('reads every page for the repository, with snippets, into a report the engine reads', async () => {
    // The first page request is throttled: the SDK's back-off takes it.
    fake.inspector.throttleList = (n) => n === 1;
    const out = join(tmp, 'inspector.json');
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop', '--out', out], fake.env());
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /pipewarden: Inspector: 3 finding\(s\) for acme\/shop in 2 page\(s\), 1 code snippet\(s\) → /,
    );
    // 1 throttled + 2 pages, each with the same filter; the second one with the token of the first.
    expect(fake.inspector.listRequests).toHaveLength(3);
    for (const r of fake.inspector.listRequests)
      expect(r.filterCriteria).toEqual({
        resourceType: [{ comparison: 'EQUALS', value: 'CODE_REPOSITORY' }],
        codeRepositoryProjectName: [{ comparison: 'EQUALS', value: 'acme/shop' }],
        findingStatus: [{ comparison: 'NOT_EQUALS', value: 'CLOSED' }],
      });
    expect(fake.inspector.listRequests[2]!.nextToken).toBe('2');
    // Snippets only for the code findings.
    expect(fake.inspector.snippetRequests).toEqual([
      [WIRE.findings[0]!.findingArn, WIRE.findings[1]!.findingArn],
    ]);

    const written = JSON.parse(readFileSync(out, 'utf8')) as {
      findings: { firstObservedAt: string }[];
      codeSnippetResults: unknown[];
      codeSnippetErrors: unknown[];
    };
    expect(written.findings).toHaveLength(3);
    // Timestamps come back from the wire's epoch seconds as ISO strings, as the AWS CLI prints them.
    expect(written.findings[0]!.firstObservedAt).toBe('2024-11-27T09:33:20.123Z');
    expect(written.codeSnippetResults).toEqual(WIRE.codeSnippetResults);
    expect(written.codeSnippetErrors).toEqual(WIRE.codeSnippetErrors);

    const report = await loadReport(out, { sourceRoot: '/src/repo' });
    expect(report.format).toBe('inspector2');
    expect(
      report.findings.map((f) => [f.tool, f.kind, f.ruleId, f.severity, f.location?.path, !!f.suppression]),
    ).toEqual([
      ['inspector-code', 'code', 'javascript-sql-injection', 'HIGH', 'src/orders/repository.js', false],
      ['inspector-code', 'code', 'javascript-hardcoded-credentials', 'CRITICAL', 'src/config.js', true],
      ['inspector', 'dependency', 'CVE-2024-21538', 'HIGH', 'package-lock.json', false],
    ]);
  });

  it('still writes the findings when the role may not read snippets, and says so', async () => {
    fake.inspector.snippetAccessDenied = true;
    const out = join(tmp, 'no-snippets.json');
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop', '--out', out], fake.env());
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /pipewarden: warning: code snippets not fetched \(AccessDeniedException\): the role needs inspector2:BatchGetCodeSnippet/,
    );
    expect((JSON.parse(readFileSync(out, 'utf8')) as { findings: unknown[] }).findings).toHaveLength(3);
  });

  it('writes an empty report the engine accepts when the repository has no finding', async () => {
    fake.inspector.findings = [];
    const out = join(tmp, 'empty.json');
    const run = await runCli(
      ['fetch', 'inspector', '--repository', 'acme/empty', '--no-snippets', '--out', out],
      fake.env(),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ findings: [] });
    expect((await loadReport(out, { sourceRoot: '/src/repo' })).findings).toEqual([]);
    expect(fake.inspector.snippetRequests).toEqual([]);
  });

  it('fails in one line on expired credentials or a missing repository, writing nothing', async () => {
    fake.expiredToken = true;
    const out = join(tmp, 'expired.json');
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop', '--out', out], fake.env());
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'pipewarden: Inspector2 ListCoverage in eu-central-1 for acme/shop: the AWS credentials have expired (ExpiredTokenException); refresh them (re-assume the role, or aws sso login) and run again\n',
    );
    expect(existsSync(out)).toBe(false);
    const none = await runCli(['fetch', 'inspector', '--out', out], {
      ...fake.env(),
      PIPEWARDEN_INSPECTOR_PROJECT: undefined,
      PIPEWARDEN_REPO: undefined,
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^pipewarden: no code repository: pass --repository <project name>/);
  });
});

describe('pipewarden fetch inspector: coverage first (fails closed)', () => {
  it('asks ListCoverage for the repository’s CODE_REPOSITORY resource before any ListFindings', async () => {
    const out = join(tmp, 'covered.json');
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop', '--out', out], fake.env());
    expect(run.code).toBe(0);
    // The filter fields are CoverageFilterCriteria's (SDK model): the service narrows to this project.
    expect(coverage.requests[0]).toEqual({
      maxResults: 200,
      filterCriteria: {
        resourceType: [{ comparison: 'EQUALS', value: 'CODE_REPOSITORY' }],
        codeRepositoryProjectName: [{ comparison: 'EQUALS', value: 'acme/shop' }],
      },
    });
    expect(fake.log.indexOf('POST /coverage/list')).toBe(0);
    expect(fake.log.filter((l) => l === 'POST /findings/list').length).toBeGreaterThan(0);
    expect(run.stderr).toMatch(
      /^pipewarden: Inspector covers acme\/shop, last scanned commit c0ffee1 at 2024-11-27T09:33:20\.000Z\n/,
    );
  });

  it('the coverage fake holds ListCoverage to the model: 201 results a page is refused, the CLI’s requests are not', async () => {
    const run = await runCli(
      ['fetch', 'inspector', '--repository', 'acme/shop', '--out', join(tmp, 'model.json')],
      fake.env(),
    );
    expect(run.code).toBe(0);
    expect(fake.rejected).toEqual([]);
    const client = new Inspector2Client({ ...clientOf(fake), maxAttempts: 1 });
    try {
      await expect(client.send(new ListCoverageCommand({ maxResults: 201 }))).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      client.destroy();
    }
    expect(fake.rejected).toEqual(['POST /coverage/list: maxResults: must be at most 200']);
  });

  it('fails in one line naming the fix when the repository is not onboarded, and writes nothing', async () => {
    coverage.resources = [codeRepositoryCoverage('acme/other', 'ACTIVE', 'SUCCESSFUL')];
    const out = join(tmp, 'not-covered.json');
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop', '--out', out], fake.env());
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `pipewarden: Inspector code security does not cover acme/shop in eu-central-1 (ListCoverage has no CODE_REPOSITORY resource with this project name): ${NO_FIX}\n`,
    );
    expect(existsSync(out)).toBe(false);
    // Never a findings list for a repository nobody scans: "no findings" would pass the gate.
    expect(fake.inspector.listRequests).toEqual([]);
  });

  it.each([
    ['INACTIVE', 'NO_SCAN_CONFIGURATION_ASSOCIATED'],
    ['INACTIVE', 'INTEGRATION_CONNECTION_LOST'],
    ['ACTIVE', 'PENDING_INITIAL_SCAN'],
  ] as const)('is not covered while its scan status is %s (%s)', async (status, reason) => {
    coverage.resources = [codeRepositoryCoverage('acme/shop', status, reason)];
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop'], fake.env());
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `pipewarden: Inspector code security does not cover acme/shop in eu-central-1 (its CODE_REPOSITORY coverage is ${status} (${reason})): ${NO_FIX}\n`,
    );
    expect(fake.inspector.listRequests).toEqual([]);
  });

  it('reads every coverage page before deciding', async () => {
    coverage.pageSize = 1;
    coverage.resources = [
      codeRepositoryCoverage('acme/shop', 'INACTIVE', 'NO_SCAN_CONFIGURATION_ASSOCIATED'),
      codeRepositoryCoverage('acme/shop', 'ACTIVE', 'SUCCESSFUL'),
    ];
    const run = await runCli(
      ['fetch', 'inspector', '--repository', 'acme/shop', '--no-snippets', '--out', join(tmp, 'p.json')],
      fake.env(),
    );
    expect(run.code).toBe(0);
    expect(coverage.requests.map((r) => r.nextToken)).toEqual([undefined, '1']);
  });

  it('with --allow-not-covered (or the env), writes a NOT SCANNED report the gate warns about', async () => {
    coverage.resources = [];
    const out = join(tmp, 'not-scanned.json');
    const run = await runCli(['fetch', 'inspector', '--repository', 'acme/shop', '--out', out], {
      ...fake.env(),
      PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED: 'true',
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `pipewarden: warning: Inspector code security does not cover acme/shop in eu-central-1 (ListCoverage has no CODE_REPOSITORY resource with this project name); allowed by --allow-not-covered: written as NOT SCANNED → ${out}\n`,
    );
    expect(fake.inspector.listRequests).toEqual([]);
    const report = await loadReport(out, { sourceRoot: '/src/repo' });
    expect(report.findings).toEqual([]);
    expect(report.warnings).toEqual([
      `${out}: NOT SCANNED: Amazon Inspector code security did not complete its scan: acme/shop was not scanned: Inspector code security does not cover it (ListCoverage has no CODE_REPOSITORY resource with this project name); onboard it as docs/inspector-code-security.md shows`,
    ]);
    // The gate's document carries it as a warning, beside the report's zero findings.
    const doc = join(tmp, 'gate.json');
    const gate = await runCli(['gate', '--out', doc, out], fake.env());
    expect(gate.code).toBe(0);
    const written = JSON.parse(readFileSync(doc, 'utf8')) as { warnings: string[] };
    expect(written.warnings).toEqual([
      expect.stringContaining('NOT SCANNED: Amazon Inspector code security'),
    ]);

    const flag = await runCli(
      ['fetch', 'inspector', '--repository', 'acme/shop', '--allow-not-covered', '--out', out],
      fake.env(),
    );
    expect(flag.code).toBe(0);
    const bad = await runCli(['fetch', 'inspector', '--repository', 'acme/shop'], {
      ...fake.env(),
      PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED: 'yes',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('pipewarden: PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=yes: set true or false\n');
  });
});
