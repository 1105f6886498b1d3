import {
  BatchGetCodeSnippetCommand,
  ListFindingsCommand,
  type CodeSnippetError,
  type CodeSnippetResult,
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
