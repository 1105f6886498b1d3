import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchGetCodeSnippetRequest$, ListFindingsRequest$ } from '@aws-sdk/client-inspector2';
import { json, xmlError } from './aws-http.js';
import { modelViolations, type MemberLimit, type StaticSchema } from './aws-model.js';
import { S3Fake } from './s3-fake.js';
import { SecurityHubFake } from './security-hub-fake.js';

/**
 * A local HTTP server on 127.0.0.1 that answers like Security Hub (REST-JSON, POST /findings/import),
 * S3 (path-style, conditional PUT with If-Match / If-None-Match) and Inspector2 (POST /findings/list
 * with paging, POST /codesnippet/batchget), for real SDK v3 clients pointed at it with AWS_ENDPOINT_URL_*.
 * Tests inject throttling, partial failures, 5xx, slow answers and expired credentials through the hooks.
 * Security Hub (security-hub-fake.ts), S3 (s3-fake.ts) and Inspector2 (here) check each request against the
 * API model (aws-model.ts) and the limits the code relies on first; one that breaks them gets the error the real
 * service returns, and is kept in `rejected` so a test can say none was.
 */

export { MAX_FINDINGS_PER_IMPORT, type SecurityHubAnswer } from './security-hub-fake.js';
export { MAX_S3_KEY_BYTES, MAX_S3_METADATA_BYTES, type S3Object } from './s3-fake.js';

/** Inspector2's limits the code relies on (API Reference: ListFindings maxResults 1–100, BatchGetCodeSnippet 1–10 ARNs). */
const INSPECTOR_LIMITS: Record<string, MemberLimit> = {
  'ListFindingsRequest.maxResults': { min: 1, max: 100 },
  'BatchGetCodeSnippetRequest.findingArns': { min: 1, max: 10 },
};

export class FakeAws {
  readonly server: Server;
  url = '';
  /** Every request, in order: `METHOD path`. */
  readonly log: string[] = [];
  /** Answer every request with an expired-credentials error. */
  expiredToken = false;
  /** Every request refused for breaking the API model or a limit: `METHOD path: problem`. */
  readonly rejected: string[] = [];

  readonly securityHub = new SecurityHubFake();
  readonly s3 = new S3Fake();

  readonly inspector = {
    findings: [] as Record<string, unknown>[],
    snippets: [] as Record<string, unknown>[],
    snippetErrors: [] as Record<string, unknown>[],
    pageSize: 2,
    listRequests: [] as Record<string, unknown>[],
    snippetRequests: [] as string[][],
    /** Throttle list request number n (1-based). */
    throttleList: (_n: number): boolean => false,
    snippetAccessDenied: false,
  };

  private readonly reject = (problem: string) => void this.rejected.push(problem);

  constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(error) }));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Back to an empty, well-behaved service (the hooks answer normally). */
  reset(): void {
    this.log.length = 0;
    this.rejected.length = 0;
    this.expiredToken = false;
    this.securityHub.reset();
    this.s3.reset();
    const ins = this.inspector;
    ins.findings = [];
    ins.snippets = [];
    ins.snippetErrors = [];
    ins.pageSize = 2;
    ins.listRequests.length = 0;
    ins.snippetRequests.length = 0;
    ins.throttleList = () => false;
    ins.snippetAccessDenied = false;
  }

  /** The environment a CLI run needs to reach this server with the SDK's default resolution. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SECURITYHUB: this.url,
      AWS_ENDPOINT_URL_S3: this.url,
      AWS_ENDPOINT_URL_INSPECTOR2: this.url,
      AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      AWS_SESSION_TOKEN: 'test-session',
      AWS_REGION: 'eu-central-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.log.push(`${req.method} ${url.pathname}`);
    const isJsonApi =
      url.pathname === '/findings/import' ||
      url.pathname === '/findings/list' ||
      url.pathname === '/codesnippet/batchget';
    if (this.expiredToken) {
      if (isJsonApi)
        return json(
          res,
          403,
          { message: 'The security token included in the request is expired' },
          'ExpiredTokenException',
        );
      return xmlError(res, 400, 'ExpiredToken', 'The provided token has expired.', req.method === 'HEAD');
    }
    if (req.method === 'POST' && url.pathname === '/findings/import')
      return this.securityHub.importFindings(body, res, this.reject);
    if (req.method === 'POST' && url.pathname === '/findings/list') return this.listFindings(body, res);
    if (req.method === 'POST' && url.pathname === '/codesnippet/batchget')
      return this.codeSnippets(body, res);
    return this.s3.handle(req, url, body, res, this.reject);
  }

  /** Inspector2's answer to a request that breaks its model or limits: ValidationException (400), kept in `rejected`. */
  private refused(path: string, schema: StaticSchema, request: unknown, res: ServerResponse): boolean {
    const problems = modelViolations(schema, request, INSPECTOR_LIMITS);
    if (problems.length === 0) return false;
    for (const p of problems) this.reject(`POST ${path}: ${p}`);
    json(res, 400, { message: problems.join('; ') }, 'ValidationException');
    return true;
  }

  private listFindings(body: Buffer, res: ServerResponse): void {
    const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (this.refused('/findings/list', ListFindingsRequest$, request, res)) return;
    this.inspector.listRequests.push(request);
    if (this.inspector.throttleList(this.inspector.listRequests.length))
      return json(res, 429, { message: 'Rate exceeded' }, 'ThrottlingException');
    const start = Number(request.nextToken ?? 0);
    const size = Math.min(Number(request.maxResults ?? 100), this.inspector.pageSize);
    const page = this.inspector.findings.slice(start, start + size);
    const next = start + size < this.inspector.findings.length ? String(start + size) : undefined;
    json(res, 200, { findings: page, ...(next ? { nextToken: next } : {}) });
  }

  private codeSnippets(body: Buffer, res: ServerResponse): void {
    const request = JSON.parse(body.toString('utf8')) as { findingArns: string[] };
    if (this.refused('/codesnippet/batchget', BatchGetCodeSnippetRequest$, request, res)) return;
    const { findingArns } = request;
    this.inspector.snippetRequests.push(findingArns);
    if (this.inspector.snippetAccessDenied)
      return json(
        res,
        403,
        { message: 'User is not authorized to perform: inspector2:BatchGetCodeSnippet' },
        'AccessDeniedException',
      );
    json(res, 200, {
      codeSnippetResults: this.inspector.snippets.filter((s) => findingArns.includes(String(s.findingArn))),
      errors: this.inspector.snippetErrors.filter((s) => findingArns.includes(String(s.findingArn))),
    });
  }
}
