import {
  BatchGetCodeSnippetCommand,
  ListCoverageCommand,
  ListFindingsCommand,
  type CodeSnippetError,
  type CodeSnippetResult,
  type CoveredResource,
  type Finding as InspectorFinding,
  type Inspector2Client,
} from '@aws-sdk/client-inspector2';
import { awsFailure, errorCode } from '../publish/aws-errors.js';

export interface FetchInspectorOptions {
  /** The code repository's project name, as Inspector code security shows it. */
  repository: string;
  /** Also fetch the code around each code finding (BatchGetCodeSnippet). Default: true. */
  snippets?: boolean;
  region?: string;
}

/**
 * The file written by `fetch inspector`: a ListFindings response (every page), which the engine reads as
 * Inspector2 findings, plus the code snippets Inspector holds for them. With no finding it is exactly
 * `{"findings": []}`, which the engine reads as an empty report.
 */
export interface InspectorExport {
  findings: InspectorFinding[];
  codeSnippetResults?: CodeSnippetResult[];
  codeSnippetErrors?: CodeSnippetError[];
}

export interface FetchInspectorResult {
  export: InspectorExport;
  pages: number;
  warnings: string[];
}

const SNIPPETS_PER_CALL = 10;

/** Where the onboarding steps are: named in every "not covered" error. */
export const ONBOARDING_DOC = 'docs/inspector-code-security.md';

export type InspectorCoverage =
  | { covered: true; resource: CoveredResource }
  | { covered: false; reason: string; resource?: CoveredResource };

/**
 * Is the repository scanned by Inspector code security? `ListCoverage` filtered to the CODE_REPOSITORY
 * resource of that project name (all pages). Covered only when a resource is there with an ACTIVE scan
 * status that has finished its first scan: with no resource, an INACTIVE one (no scan configuration
 * associated, the integration's connection lost…) or one still waiting for its initial scan, an empty
 * ListFindings answer would mean "never looked", not "nothing found".
 */
export async function checkInspectorCoverage(
  client: Inspector2Client,
  options: Pick<FetchInspectorOptions, 'repository' | 'region'>,
): Promise<InspectorCoverage> {
  const where = `Inspector2 ListCoverage${options.region ? ` in ${options.region}` : ''} for ${options.repository}`;
  const resources: CoveredResource[] = [];
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListCoverageCommand({
          maxResults: 200,
          filterCriteria: {
            resourceType: [{ comparison: 'EQUALS', value: 'CODE_REPOSITORY' }],
            codeRepositoryProjectName: [{ comparison: 'EQUALS', value: options.repository }],
          },
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    } catch (error) {
      throw awsFailure(where, error, 'inspector2:ListCoverage');
    }
    resources.push(...(page.coveredResources ?? []));
    nextToken = page.nextToken || undefined;
    if (nextToken && seenTokens.has(nextToken)) break;
    if (nextToken) seenTokens.add(nextToken);
  } while (nextToken);

  // The filter matches the project name; keep only an exact match (the service compares as it likes).
  const mine = resources.filter(
    (r) =>
      r.resourceType === 'CODE_REPOSITORY' &&
      (r.resourceMetadata?.codeRepository?.projectName ?? options.repository) === options.repository,
  );
  const active = mine.find(
    (r) => r.scanStatus?.statusCode === 'ACTIVE' && r.scanStatus.reason !== 'PENDING_INITIAL_SCAN',
  );
  if (active) return { covered: true, resource: active };
  const first = mine[0];
  if (!first)
    return {
      covered: false,
      reason: 'ListCoverage has no CODE_REPOSITORY resource with this project name',
    };
  const status = `${first.scanStatus?.statusCode ?? 'no scan status'}${first.scanStatus?.reason ? ` (${first.scanStatus.reason})` : ''}`;
  return { covered: false, reason: `its CODE_REPOSITORY coverage is ${status}`, resource: first };
}

/**
 * The report written instead of findings when the repository is not covered and that is allowed: SARIF
 * with an unsuccessful invocation and no results, the standard way to say a tool did not scan. The engine
 * turns it into a "not scanned" warning in the findings document, never into a clean result.
 */
export function notScannedReport(repository: string, reason: string): object {
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'Amazon Inspector code security',
            informationUri:
              'https://docs.aws.amazon.com/inspector/latest/user/code-security-assessments.html',
          },
        },
        invocations: [
          {
            executionSuccessful: false,
            toolExecutionNotifications: [
              {
                level: 'error',
                descriptor: { id: 'pipewarden/not-covered' },
                message: {
                  text: `${repository} was not scanned: Inspector code security does not cover it (${reason}); onboard it as ${ONBOARDING_DOC} shows`,
                },
              },
            ],
          },
        ],
        results: [],
        properties: { pipewardenNotScanned: { repository, reason } },
      },
    ],
  };
}

/**
 * Inspector code security findings of one code repository: `ListFindings` filtered to CODE_REPOSITORY
 * resources of that project, not CLOSED (suppressed ones are kept: the engine flags them), all pages.
 */
export async function fetchInspectorFindings(
  client: Inspector2Client,
  options: FetchInspectorOptions,
): Promise<FetchInspectorResult> {
  const where = `Inspector2 ListFindings${options.region ? ` in ${options.region}` : ''} for ${options.repository}`;
  const findings: InspectorFinding[] = [];
  const warnings: string[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  const seenTokens = new Set<string>();
  do {
    let page;
    try {
      page = await client.send(
        new ListFindingsCommand({
          maxResults: 100,
          filterCriteria: {
            resourceType: [{ comparison: 'EQUALS', value: 'CODE_REPOSITORY' }],
            codeRepositoryProjectName: [{ comparison: 'EQUALS', value: options.repository }],
            findingStatus: [{ comparison: 'NOT_EQUALS', value: 'CLOSED' }],
          },
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    } catch (error) {
      throw awsFailure(where, error, 'inspector2:ListFindings');
    }
    pages++;
    findings.push(...(page.findings ?? []));
    nextToken = page.nextToken || undefined;
    // A service that hands back a token it already gave would page forever.
    if (nextToken && seenTokens.has(nextToken)) {
      warnings.push(`${where}: the same page token came back twice; stopped after ${pages} page(s)`);
      break;
    }
    if (nextToken) seenTokens.add(nextToken);
  } while (nextToken);

  const result: InspectorExport = { findings };
  if (options.snippets !== false) {
    const arns = findings
      .filter((f) => f.type === 'CODE_VULNERABILITY' && f.findingArn)
      .map((f) => f.findingArn!);
    const snippets: CodeSnippetResult[] = [];
    const errors: CodeSnippetError[] = [];
    for (let i = 0; i < arns.length; i += SNIPPETS_PER_CALL) {
      try {
        const out = await client.send(
          new BatchGetCodeSnippetCommand({ findingArns: arns.slice(i, i + SNIPPETS_PER_CALL) }),
        );
        snippets.push(...(out.codeSnippetResults ?? []));
        errors.push(...(out.errors ?? []));
      } catch (error) {
        // Snippets are a courtesy: the findings are complete without them.
        warnings.push(
          `code snippets not fetched (${errorCode(error)}): ${/AccessDenied/.test(errorCode(error)) ? 'the role needs inspector2:BatchGetCodeSnippet' : String((error as Error).message)}`,
        );
        break;
      }
    }
    if (snippets.length) result.codeSnippetResults = snippets;
    if (errors.length) result.codeSnippetErrors = errors;
  }
  return { export: result, pages, warnings };
}
