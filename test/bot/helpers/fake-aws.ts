import {
  BatchDeleteImageCommand,
  ECRClient,
  ListImagesCommand,
  type ImageFailure,
} from '@aws-sdk/client-ecr';
import {
  CodeStarConnectionsClient,
  GetConnectionCommand,
  ResourceNotFoundException,
  type ConnectionStatus,
} from '@aws-sdk/client-codestar-connections';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsClients } from '../../../bot/aws/create-aws-clients.js';
import {
  appPipeline,
  CONNECTION_ARN,
  FakeCodePipeline,
  REGION,
  STAGES,
  type FakeExecution,
} from '../../support/codepipeline-fake.js';

/**
 * AWS for the bot's tests: CodePipeline is the one fake every part's tests share; ECR and CodeStar
 * Connections go through aws-sdk-client-mock backed by small models, S3 is a real client against a local
 * HTTP server (so NoSuchKey and error mapping are the SDK's own).
 */

export { CONNECTION_ARN, REGION, STAGES };
export type Execution = FakeExecution;
const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' };

export interface EcrImage {
  digest: string;
  tags: string[];
}

export class FakeEcr {
  images: EcrImage[] = [];
  pageSize = 1000;
  listCalls = 0;
  deleteBatches: number[] = [];

  list(input: { nextToken?: string; filter?: { tagStatus?: string } }) {
    this.listCalls++;
    const all = this.images.flatMap((i) => i.tags.map((t) => ({ imageDigest: i.digest, imageTag: t })));
    const from = Number(input.nextToken ?? 0);
    return {
      imageIds: all.slice(from, from + this.pageSize),
      ...(from + this.pageSize < all.length ? { nextToken: String(from + this.pageSize) } : {}),
    };
  }

  delete(input: { imageIds?: { imageDigest?: string; imageTag?: string }[] }) {
    const ids = input.imageIds ?? [];
    this.deleteBatches.push(ids.length);
    if (ids.length > 100)
      throw Object.assign(new Error('at most 100 image ids'), { name: 'InvalidParameterException' });
    const failures: ImageFailure[] = [];
    const deleted = [];
    for (const id of ids) {
      const image = this.images.find((i) =>
        id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? ''),
      );
      if (!image) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'not found' });
        continue;
      }
      if (id.imageDigest) image.tags = [];
      else image.tags = image.tags.filter((t) => t !== id.imageTag);
      if (image.tags.length === 0) this.images = this.images.filter((i) => i !== image);
      deleted.push(id);
    }
    return { imageIds: deleted, failures };
  }
}

/** S3 as a local HTTP server (path-style): objects by key, or an HTTP status to answer with. */
export class FakeS3 {
  readonly objects = new Map<string, string | { status: number; code: string }>();
  readonly gets: string[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const key = decodeURIComponent(
        new URL(req.url ?? '/', 'http://x').pathname.split('/').slice(2).join('/'),
      );
      this.gets.push(key);
      const object = this.objects.get(key);
      if (typeof object === 'string') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(object),
        });
        res.end(object);
        return;
      }
      const status = object?.status ?? 404;
      const code = object?.code ?? 'NoSuchKey';
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export interface FakeAws {
  clients: AwsClients;
  /** CodePipeline: the one fake (test/support/codepipeline-fake.ts), reached over HTTP by a real client. */
  pipelines: FakeCodePipeline;
  ecr: FakeEcr;
  s3: FakeS3;
  /** GetConnection's answers: connection ARN → status (a missing ARN is ResourceNotFoundException). */
  connections: Map<string, ConnectionStatus>;
  stop(): Promise<void>;
}

/**
 * Real SDK clients: CodePipeline answered by the model-checking local CodePipeline (executions wait for the
 * test's setStage/progress), ECR and CodeStar Connections by aws-sdk-client-mock, S3 by the local server.
 */
export async function createFakeAws(pipelines: Record<string, keyof typeof STAGES>): Promise<FakeAws> {
  const codepipeline = await new FakeCodePipeline({
    pipelines: Object.entries(pipelines).map(([name, kind]) => appPipeline(name, kind)),
    frames: null,
  }).start();
  const ecr = new FakeEcr();
  const s3 = new FakeS3();
  await s3.start();
  const clients: AwsClients = {
    codepipeline: codepipeline.client(),
    ecr: new ECRClient({ region: REGION, credentials }),
    s3: new S3Client({ region: REGION, credentials, endpoint: s3.url, forcePathStyle: true, maxAttempts: 1 }),
    connections: new CodeStarConnectionsClient({ region: REGION, credentials }),
  };
  const connections = new Map<string, ConnectionStatus>([[CONNECTION_ARN, 'AVAILABLE']]);
  const cs = mockClient(clients.connections);
  cs.on(GetConnectionCommand).callsFake((input: { ConnectionArn?: string }) => {
    const status = connections.get(input.ConnectionArn ?? '');
    if (!status)
      throw new ResourceNotFoundException({
        message: `connection ${input.ConnectionArn} not found`,
        $metadata: {},
      });
    return { Connection: { ConnectionArn: input.ConnectionArn, ConnectionStatus: status } };
  });
  const er = mockClient(clients.ecr);
  er.on(ListImagesCommand).callsFake((i) => ecr.list(i));
  er.on(BatchDeleteImageCommand).callsFake((i) => ecr.delete(i));
  return {
    clients,
    pipelines: codepipeline,
    ecr,
    s3,
    connections,
    stop: async () => {
      cs.restore();
      er.restore();
      await Promise.all([s3.stop(), codepipeline.stop()]);
    },
  };
}
