import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadReport } from '../../../findings/parse/load-report.js';
import { runCli } from '../cli/run-cli.js';
import { readFixture } from '../helpers.js';
import { FakeAws } from '../publish/fake-aws.js';

interface Wire {
  findings: Record<string, unknown>[];
  codeSnippetResults: Record<string, unknown>[];
  codeSnippetErrors: Record<string, unknown>[];
}
const WIRE = readFixture('aws/inspector2-code-repository.wire.json') as Wire;

let fake: FakeAws;
const tmp = mkdtempSync(join(tmpdir(), 'pipewarden-inspector-'));

beforeAll(async () => {
  fake = await new FakeAws().start();
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
});

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
      'pipewarden: Inspector2 ListFindings in eu-central-1 for acme/shop: the AWS credentials have expired (ExpiredTokenException); refresh them (re-assume the role, or aws sso login) and run again\n',
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
