import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectRequest$, HeadObjectRequest$, PutObjectRequest$ } from '@aws-sdk/client-s3';
import { BatchImportFindingsRequest$ } from '@aws-sdk/client-securityhub';
import { headerMembers, modelViolations } from './aws-model.js';

/**
 * A local HTTP server on 127.0.0.1 that answers like Security Hub (REST-JSON, POST /findings/import),
 * S3 (path-style, conditional PUT with If-Match / If-None-Match → 412) and Inspector2 (POST /findings/list
 * with paging, POST /codesnippet/batchget), for real SDK v3 clients pointed at it with AWS_ENDPOINT_URL_*.
 * Tests inject throttling, partial failures, 5xx, slow answers and expired credentials through the hooks.
 * Security Hub and S3 requests are first checked against the API model (test/support/aws-model.ts) and the
 * limits the code relies on; one that breaks them gets the error the real service returns, and is kept
 * in `rejected` so a test can say none was.
 */

/** BatchImportFindings: "Array Members: Minimum number of 1 item. Maximum number of 100 items." */
export const MAX_FINDINGS_PER_IMPORT = 100;
/** S3: "The object key name … is up to 1024 bytes long." */
export const MAX_S3_KEY_BYTES = 1024;
/** S3: "the user-defined metadata is limited to 2 KB in size" (the UTF-8 bytes of every key and value). */
export const MAX_S3_METADATA_BYTES = 2048;
/** Headers the SDK adds for signing, checksums and retries; not members of any operation's input. */
const PROTOCOL_HEADERS = new Set([
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-user-agent',
  'x-amz-decoded-content-length',
  'x-amz-trailer',
]);
const S3_HEADERS = {
  PUT: headerMembers(PutObjectRequest$),
  GET: headerMembers(GetObjectRequest$),
  HEAD: headerMembers(HeadObjectRequest$),
};

export type SecurityHubAnswer =
  | { status: number; errorType: string; message?: string }
  | { fail: Record<string, string> } // Id → ErrorCode in FailedFindings, the rest imported
  | undefined; // import everything

export interface S3Object {
  body: Buffer;
  etag: string;
  metadata: Record<string, string>;
  contentType?: string;
}

export class FakeAws {
  readonly server: Server;
  url = '';
  /** Every request, in order: `METHOD path`. */
  readonly log: string[] = [];
  /** Answer every request with an expired-credentials error. */
  expiredToken = false;
  /** Every request refused for breaking the API model or a limit: `METHOD path: problem`. */
  readonly rejected: string[] = [];

  readonly securityHub = {
    requests: 0,
    /** How often each finding Id was imported (accepted). */
    imported: new Map<string, number>(),
    /** The last version of each finding Security Hub accepted. */
    received: new Map<string, Record<string, unknown>>(),
    batchSizes: [] as number[],
    bodyBytes: [] as number[],
    /** Decides the answer to request number `n` (1-based). */
    answer: (_n: number, _findings: { Id: string }[]): SecurityHubAnswer => undefined,
    delayMs: (_n: number): number => 0,
  };

  readonly s3 = {
    buckets: new Set<string>(),
    objects: new Map<string, S3Object>(),
    /** Runs before a PUT is decided: a test can sneak in another writer here. */
    beforePut: async (_bucket: string, _key: string): Promise<void> => undefined,
    putStatus: (_bucket: string, _key: string): number | undefined => undefined,
  };

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
    const hub = this.securityHub;
    hub.requests = 0;
    hub.imported.clear();
    hub.received.clear();
    hub.batchSizes.length = 0;
    hub.bodyBytes.length = 0;
    hub.answer = () => undefined;
    hub.delayMs = () => 0;
    this.s3.buckets.clear();
    this.s3.objects.clear();
    this.s3.beforePut = async () => undefined;
    this.s3.putStatus = () => undefined;
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
    if (req.method === 'POST' && url.pathname === '/findings/import') return this.importFindings(body, res);
    if (req.method === 'POST' && url.pathname === '/findings/list') return this.listFindings(body, res);
    if (req.method === 'POST' && url.pathname === '/codesnippet/batchget')
      return this.codeSnippets(body, res);
    return this.s3Request(req, url, body, res);
  }

  private async importFindings(body: Buffer, res: ServerResponse): Promise<void> {
    const request = JSON.parse(body.toString('utf8')) as { Findings?: unknown };
    const problems = modelViolations(BatchImportFindingsRequest$, request);
    if (Array.isArray(request.Findings) && request.Findings.length > MAX_FINDINGS_PER_IMPORT)
      problems.push(`Findings: Member must have length less than or equal to ${MAX_FINDINGS_PER_IMPORT}`);
    if (Array.isArray(request.Findings) && request.Findings.length === 0)
      problems.push('Findings: Member must have length greater than or equal to 1');
    if (problems.length > 0) {
      this.rejected.push(...problems.map((p) => `POST /findings/import: ${p}`));
      return json(
        res,
        400,
        { Code: 'InvalidInputException', Message: problems.join('; ') },
        'InvalidInputException',
      );
    }
    const n = ++this.securityHub.requests;
    const { Findings } = request as { Findings: { Id: string }[] };
    this.securityHub.batchSizes.push(Findings.length);
    this.securityHub.bodyBytes.push(body.length);
    const delay = this.securityHub.delayMs(n);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    const answer = this.securityHub.answer(n, Findings);
    if (answer && 'status' in answer)
      return json(res, answer.status, { message: answer.message ?? answer.errorType }, answer.errorType);
    const fail = answer && 'fail' in answer ? answer.fail : {};
    const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const f of Findings) {
      if (fail[f.Id]) {
        failed.push({ Id: f.Id, ErrorCode: fail[f.Id]!, ErrorMessage: `injected ${fail[f.Id]}` });
        continue;
      }
      this.securityHub.imported.set(f.Id, (this.securityHub.imported.get(f.Id) ?? 0) + 1);
      this.securityHub.received.set(f.Id, f);
    }
    json(res, 200, {
      FailedCount: failed.length,
      SuccessCount: Findings.length - failed.length,
      FailedFindings: failed,
    });
  }

  private listFindings(body: Buffer, res: ServerResponse): void {
    const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
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
    const { findingArns } = JSON.parse(body.toString('utf8')) as { findingArns: string[] };
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

  private async s3Request(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): Promise<void> {
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const head = req.method === 'HEAD';
    if (!this.s3.buckets.has(bucket))
      return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', head);
    const problem = this.s3Violation(req, key);
    if (problem) {
      this.rejected.push(`${req.method} ${url.pathname}: ${problem.message}`);
      return xmlError(res, 400, problem.code, problem.message, head);
    }
    const id = `${bucket}/${key}`;
    if (req.method === 'PUT') {
      await this.s3.beforePut(bucket, key);
      const forced = this.s3.putStatus(bucket, key);
      if (forced) {
        const code = forced === 412 ? 'PreconditionFailed' : forced === 503 ? 'SlowDown' : 'InternalError';
        return xmlError(res, forced, code, 'injected', false);
      }
      const existing = this.s3.objects.get(id);
      const ifMatch = req.headers['if-match'];
      const ifNoneMatch = req.headers['if-none-match'];
      if ((ifMatch && (!existing || existing.etag !== ifMatch)) || (ifNoneMatch === '*' && existing))
        return xmlError(
          res,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          false,
        );
      const etag = `"${createHash('md5').update(body).digest('hex')}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}"`;
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
      const contentType = req.headers['content-type'];
      this.s3.objects.set(id, { body, etag, metadata, ...(contentType ? { contentType } : {}) });
      res.writeHead(200, { etag });
      return void res.end();
    }
    if (req.method === 'GET' || head) {
      const object = this.s3.objects.get(id);
      if (!object) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', head);
      const headers: Record<string, string> = {
        etag: object.etag,
        'content-length': String(object.body.length),
        'content-type': object.contentType ?? 'application/octet-stream',
      };
      for (const [k, v] of Object.entries(object.metadata)) headers[`x-amz-meta-${k}`] = v;
      res.writeHead(200, headers);
      return void res.end(head ? undefined : object.body);
    }
    xmlError(res, 405, 'MethodNotAllowed', 'not in this fake', head);
  }

  /** What S3 would refuse in an object request: the key's length, metadata size, headers no member maps to. */
  private s3Violation(req: IncomingMessage, key: string): { code: string; message: string } | undefined {
    if (Buffer.byteLength(key, 'utf8') > MAX_S3_KEY_BYTES)
      return { code: 'KeyTooLongError', message: 'Your key is too long' };
    const members = S3_HEADERS[req.method as keyof typeof S3_HEADERS];
    if (!members) return undefined;
    let metadataBytes = 0;
    for (const [name, value] of Object.entries(req.headers)) {
      if (!name.startsWith('x-amz-') || PROTOCOL_HEADERS.has(name)) continue;
      const prefix = members.prefixes.find((p) => name.startsWith(p));
      if (prefix)
        metadataBytes += Buffer.byteLength(name.slice(prefix.length)) + Buffer.byteLength(String(value));
      else if (!members.headers.has(name))
        return { code: 'InvalidArgument', message: `Unknown header ${name} for ${req.method} of an object` };
    }
    if (metadataBytes > MAX_S3_METADATA_BYTES)
      return {
        code: 'MetadataTooLarge',
        message: 'Your metadata headers exceed the maximum allowed metadata size.',
      };
    return undefined;
  }
}

function json(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(JSON.stringify(payload));
}

function xmlError(res: ServerResponse, status: number, code: string, message: string, head: boolean): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  // HEAD answers carry no body: the SDK then knows only the status (404 → NotFound).
  res.end(
    head
      ? undefined
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`,
  );
}
