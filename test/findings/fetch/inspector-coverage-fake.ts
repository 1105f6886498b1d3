import type { IncomingMessage, ServerResponse } from 'node:http';
import { ListCoverageRequest$ } from '@aws-sdk/client-inspector2';
import { modelViolations } from '../../support/aws-model.js';
import type { FakeAws } from '../../support/fake-aws.js';

/**
 * Inspector2 ListCoverage (REST-JSON, POST /coverage/list, as the SDK model routes it) on the shared local
 * fake: requests to that path are answered here (checked against the model first), every other request goes
 * to the fake as before. The
 * answer is `coveredResources` filtered by the request's resourceType / codeRepositoryProjectName EQUALS
 * filters, one page of `pageSize`, with `nextToken` for the rest.
 */
export class InspectorCoverageFake {
  resources: Record<string, unknown>[] = [];
  pageSize = 1;
  readonly requests: Record<string, unknown>[] = [];

  constructor(private readonly fake: FakeAws) {
    const server = fake.server;
    const others = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'POST' && req.url?.split('?')[0] === '/coverage/list') void this.answer(req, res);
      else for (const l of others) l.call(server, req, res);
    });
  }

  reset(): void {
    this.resources = [];
    this.pageSize = 1;
    this.requests.length = 0;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.fake.log.push('POST /coverage/list');
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      nextToken?: string;
      filterCriteria?: Record<string, { comparison: string; value: string }[]>;
    };
    // Held to the model and the API's limit (maxResults 1-200) first, as the shared fake holds its requests.
    const problems = modelViolations(ListCoverageRequest$, request, {
      'ListCoverageRequest.maxResults': { min: 1, max: 200 },
    });
    if (problems.length > 0) {
      for (const p of problems) this.fake.rejected.push(`POST /coverage/list: ${p}`);
      return send(res, 400, { message: problems.join('; ') }, 'ValidationException');
    }
    this.requests.push(request);
    if (this.fake.expiredToken) return send(res, 403, { message: 'expired' }, 'ExpiredTokenException');
    const equals = (field: string) =>
      request.filterCriteria?.[field]?.filter((f) => f.comparison === 'EQUALS').map((f) => f.value);
    const types = equals('resourceType');
    const projects = equals('codeRepositoryProjectName');
    const matching = this.resources.filter((r) => {
      const meta = r.resourceMetadata as { codeRepository?: { projectName?: string } } | undefined;
      return (
        (!types || types.includes(String(r.resourceType))) &&
        (!projects || projects.includes(String(meta?.codeRepository?.projectName)))
      );
    });
    const start = Number(request.nextToken ?? 0);
    const page = matching.slice(start, start + this.pageSize);
    const next = start + this.pageSize < matching.length ? String(start + this.pageSize) : undefined;
    send(res, 200, { coveredResources: page, ...(next ? { nextToken: next } : {}) });
  }
}

function send(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(JSON.stringify(payload));
}

/** A CODE_REPOSITORY coverage entry as ListCoverage returns it on the wire (dates in epoch seconds). */
export function codeRepositoryCoverage(
  projectName: string,
  statusCode: 'ACTIVE' | 'INACTIVE',
  reason: string,
  extra: { lastScannedCommitId?: string; lastScannedAt?: number } = {},
): Record<string, unknown> {
  return {
    resourceType: 'CODE_REPOSITORY',
    resourceId: `arn:aws:inspector2:eu-central-1:123456789012:codesecurity-project/${projectName.replace('/', '-')}`,
    accountId: '123456789012',
    scanType: 'CODE',
    scanStatus: { statusCode, reason },
    ...(extra.lastScannedAt ? { lastScannedAt: extra.lastScannedAt } : {}),
    resourceMetadata: {
      codeRepository: {
        projectName,
        providerType: 'GITHUB',
        providerTypeVisibility: 'PRIVATE',
        integrationArn: 'arn:aws:inspector2:eu-central-1:123456789012:codesecurity-integration/github-acme',
        ...(extra.lastScannedCommitId ? { lastScannedCommitId: extra.lastScannedCommitId } : {}),
      },
    },
  };
}
