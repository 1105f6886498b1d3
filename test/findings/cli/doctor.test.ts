import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runDoctor, type DoctorClients, type DoctorFlags } from '../../../findings/cli/commands/doctor.js';

/**
 * `pipewarden doctor` with real SDK v3 clients against a local server that answers as CodeStar Connections
 * (AWS JSON 1.0), CodePipeline (AWS JSON 1.1), S3 (path-style HEAD) and Security Hub (REST-JSON) do, and
 * refuses any request that is not the operation's wire form (target header, content type, required members).
 */

const REGION = 'eu-west-1';
const ARN = `arn:aws:codestar-connections:${REGION}:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab`;
const CONSOLE = `https://${REGION}.console.aws.amazon.com/codesuite/settings/123456789012/${REGION}/connections/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab?region=${REGION}`;

type Answer = [number, unknown, Record<string, string>?];

/** A pipeline as GetPipeline returns the ones the pipelines stack deploys (app-pipeline.ts). */
function pipeline(name: string, over: Record<string, unknown> = {}) {
  return {
    name,
    pipelineType: 'V2',
    roleArn: 'arn:aws:iam::123456789012:role/p',
    stages: [
      {
        name: 'Source',
        actions: [
          {
            name: 'Source',
            actionTypeId: {
              category: 'Source',
              owner: 'AWS',
              provider: 'CodeStarSourceConnection',
              version: '1',
            },
            configuration: { ConnectionArn: ARN, FullRepositoryId: 'acme/shop', BranchName: 'main' },
          },
        ],
      },
    ],
    triggers: [
      {
        providerType: 'CodeStarSourceConnection',
        gitConfiguration: { sourceActionName: 'Source', push: [{ branches: { includes: ['main'] } }] },
      },
    ],
    ...over,
  };
}

class FakeDeployment {
  server: Server;
  url = '';
  readonly violations: string[] = [];
  readonly log: string[] = [];
  connectionStatus: string | undefined = 'AVAILABLE';
  pipelines = new Map<string, Record<string, unknown>>();
  buckets = new Map<string, number>(); // name → HEAD status
  hubEnabled = true;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    this.log.push(target || `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'))
      this.violations.push(`unsigned request ${req.method} ${req.url}`);
    const [status, body, headers] = this.answer(req, target, text);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(req.method === 'HEAD' || body === undefined ? undefined : JSON.stringify(body));
  }

  private json(req: IncomingMessage, version: string, text: string): Record<string, unknown> | undefined {
    if (req.method !== 'POST' || req.url !== '/')
      this.violations.push(`AWS JSON operations are POST /, got ${req.method} ${req.url}`);
    if (req.headers['content-type'] !== `application/x-amz-json-${version}`)
      this.violations.push(
        `content-type ${req.headers['content-type']}, expected application/x-amz-json-${version}`,
      );
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.violations.push(`body is not JSON: ${text.slice(0, 80)}`);
      return undefined;
    }
  }

  private answer(req: IncomingMessage, target: string, text: string): Answer {
    const error = (status: number, type: string, message: string): Answer => [
      status,
      { __type: type, message },
      { 'x-amzn-errortype': type },
    ];
    if (target === 'CodeStar_connections_20191201.GetConnection') {
      const input = this.json(req, '1.0', text);
      if (typeof input?.ConnectionArn !== 'string')
        this.violations.push('GetConnection without ConnectionArn');
      if (input?.ConnectionArn !== ARN)
        return error(400, 'ResourceNotFoundException', 'Connection not found');
      if (this.connectionStatus === undefined) return error(400, 'AccessDeniedException', 'not authorized');
      return [
        200,
        {
          Connection: {
            ConnectionName: 'github',
            ConnectionArn: ARN,
            ProviderType: 'GitHub',
            OwnerAccountId: '123456789012',
            ConnectionStatus: this.connectionStatus,
          },
        },
      ];
    }
    if (target === 'CodePipeline_20150709.GetPipeline') {
      const input = this.json(req, '1.1', text);
      if (typeof input?.name !== 'string') this.violations.push('GetPipeline without name');
      const p = this.pipelines.get(String(input?.name));
      return p
        ? [
            200,
            {
              pipeline: p,
              metadata: { pipelineArn: `arn:aws:codepipeline:${REGION}:123456789012:${p.name}` },
            },
          ]
        : error(
            400,
            'PipelineNotFoundException',
            `Account '123456789012' does not have a pipeline with name '${input?.name}'`,
          );
    }
    if (req.method === 'HEAD') {
      const bucket = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/|\/$/g, ''));
      return [this.buckets.get(bucket) ?? 404, undefined];
    }
    if (req.method === 'GET' && req.url?.startsWith('/accounts')) {
      return this.hubEnabled
        ? [
            200,
            { HubArn: `arn:aws:securityhub:${REGION}:123456789012:hub/default`, AutoEnableControls: true },
          ]
        : [
            401,
            { Message: 'Account 123456789012 is not subscribed to AWS Security Hub' },
            { 'x-amzn-errortype': 'InvalidAccessException' },
          ];
    }
    this.violations.push(`unexpected request ${req.method} ${req.url} ${target}`);
    return [400, { message: 'unexpected' }];
  }
}

const aws = new FakeDeployment();
beforeAll(() => aws.start());
afterAll(() => aws.stop());

function clients(endpoint = aws.url): DoctorClients {
  const config = {
    region: REGION,
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  };
  return {
    connections: new CodeStarConnectionsClient(config),
    codepipeline: new CodePipelineClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    securityHub: new SecurityHubClient(config),
  };
}

const ALL: DoctorFlags = {
  connection: ARN,
  mainPipeline: 'shop-main',
  featurePipeline: 'shop-feature',
  bucket: 'shop-findings',
  securityHub: true,
};

async function doctor(flags: DoctorFlags = ALL, endpoint?: string) {
  const lines: string[] = [];
  const code = await runDoctor(flags, clients(endpoint), (l) => lines.push(l));
  return { code, lines };
}

beforeEach(() => {
  aws.violations.length = 0;
  aws.log.length = 0;
  aws.connectionStatus = 'AVAILABLE';
  aws.pipelines = new Map([
    ['shop-main', pipeline('shop-main')],
    [
      'shop-feature',
      pipeline('shop-feature', {
        triggers: [
          {
            providerType: 'CodeStarSourceConnection',
            gitConfiguration: {
              sourceActionName: 'Source',
              pullRequest: [{ events: ['OPEN', 'UPDATED'], branches: { includes: ['main'] } }],
            },
          },
        ],
      }),
    ],
  ]);
  aws.buckets = new Map([['shop-findings', 200]]);
  aws.hubEnabled = true;
});

describe('pipewarden doctor', () => {
  it('passes a healthy deployment, one line per check, each request in its wire form', async () => {
    const { code, lines } = await doctor();
    expect(lines).toEqual([
      `✓ GitHub connection ${ARN}: AVAILABLE`,
      '✓ main pipeline shop-main: V2, source and triggers as expected',
      '✓ feature pipeline shop-feature: V2, source and triggers as expected',
      '✓ findings bucket shop-findings: reachable',
      `✓ Security Hub: enabled (arn:aws:securityhub:${REGION}:123456789012:hub/default)`,
    ]);
    expect(code).toBe(0);
    expect(aws.log).toEqual([
      'CodeStar_connections_20191201.GetConnection',
      'CodePipeline_20150709.GetPipeline',
      'CodePipeline_20150709.GetPipeline',
      'HEAD /shop-findings/',
      'GET /accounts',
    ]);
    expect(aws.violations).toEqual([]);
  });

  it('a PENDING connection: complete the handshake in the console, with its URL; exit 1', async () => {
    aws.connectionStatus = 'PENDING';
    const { code, lines } = await doctor({ connection: ARN });
    expect(lines).toEqual([
      `✗ GitHub connection ${ARN}: PENDING: the GitHub connection ${ARN} is PENDING: complete the handshake in the console: ${CONSOLE}`,
    ]);
    expect(code).toBe(1);
  });

  it('an ERROR connection says how to repair it', async () => {
    aws.connectionStatus = 'ERROR';
    const { code, lines } = await doctor({ connection: ARN });
    expect(lines[0]).toMatch(
      new RegExp(
        `^✗ GitHub connection .*: ERROR: .* is in ERROR .*reinstall .*: ${CONSOLE.replace(/[?.]/g, '\\$&')}$`,
      ),
    );
    expect(code).toBe(1);
  });

  it('an unknown connection and one the caller may not read', async () => {
    expect((await doctor({ connection: ARN.replace('0a1b', 'ffff') })).lines[0]).toMatch(
      /: not found: check --connection \(the GitHubConnectionArn output/,
    );
    aws.connectionStatus = undefined;
    expect((await doctor({ connection: ARN })).lines[0]).toMatch(
      /access denied: the caller needs codestar-connections:GetConnection/,
    );
  });

  it('a V1 pipeline, one without a push trigger, one on another connection, one missing', async () => {
    aws.pipelines.set('shop-main', pipeline('shop-main', { pipelineType: 'V1', triggers: [] }));
    aws.pipelines.set(
      'shop-feature',
      pipeline('shop-feature', {
        stages: [
          {
            name: 'Source',
            actions: [
              {
                name: 'Source',
                actionTypeId: {
                  category: 'Source',
                  owner: 'AWS',
                  provider: 'CodeStarSourceConnection',
                  version: '1',
                },
                configuration: { ConnectionArn: `${ARN}-other` },
              },
            ],
          },
        ],
      }),
    );
    const { code, lines } = await doctor({ ...ALL, bucket: undefined, securityHub: false });
    expect(lines.slice(1)).toEqual([
      '✗ main pipeline shop-main: it is V1, not V2 (triggers and variables need V2): redeploy it with the pipelines stack; it has no push trigger, so merges to the main branch start nothing: redeploy it with the pipelines stack',
      `✗ feature pipeline shop-feature: its source uses ${ARN}-other, not ${ARN}: check --connection or redeploy`,
    ]);
    expect(code).toBe(1);
    expect((await doctor({ featurePipeline: 'gone' })).lines).toEqual([
      '✗ feature pipeline gone: not found: deploy the pipelines stack, or check --feature-pipeline and --region',
    ]);
  });

  it('a missing or forbidden findings bucket', async () => {
    expect((await doctor({ bucket: 'nope' })).lines).toEqual([
      '✗ findings bucket nope: does not exist: deploy the storage stack, or check --bucket (the findings bucket output)',
    ]);
    aws.buckets.set('theirs', 403);
    const { code, lines } = await doctor({ bucket: 'theirs' });
    expect(lines[0]).toMatch(/^✗ findings bucket theirs: access denied: the caller needs s3:ListBucket/);
    expect(code).toBe(1);
  });

  it('Security Hub not enabled while publishing is on', async () => {
    aws.hubEnabled = false;
    const { code, lines } = await doctor({ securityHub: true });
    expect(lines).toEqual([
      '✗ Security Hub: not enabled in this account and region: enable it (aws securityhub enable-security-hub), or turn publishing to Security Hub off',
    ]);
    expect(code).toBe(1);
  });

  it('AWS unreachable: one line, exit 3, no further checks', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { code, lines } = await doctor(ALL, `http://127.0.0.1:${port}`);
    expect(code).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^✗ AWS unreachable: .*: check the network, AWS credentials and --region, then run again$/,
    );
  });

  it('nothing to check is a usage error naming the options', async () => {
    await expect(doctor({})).rejects.toThrow(
      /doctor has nothing to check: pass --connection, --main-pipeline/,
    );
  });
});
