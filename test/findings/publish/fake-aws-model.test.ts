import { createHash } from 'node:crypto';
import {
  BatchGetCodeSnippetCommand,
  Inspector2Client,
  ListFindingsCommand,
} from '@aws-sdk/client-inspector2';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BatchImportFindingsCommand,
  SecurityHubClient,
  type AwsSecurityFinding,
} from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeAws, MAX_FINDINGS_PER_IMPORT, MAX_S3_KEY_BYTES } from '../../support/fake-aws.js';

// The AWS fakes refuse what the real services refuse, so a test cannot pass on a request AWS would reject.

const BUCKET = 'acme-findings';
let fake: FakeAws;
let hub: SecurityHubClient;
let s3: S3Client;
const clientConfig = () => ({
  endpoint: fake.url,
  region: 'eu-central-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  maxAttempts: 1,
});

beforeAll(async () => {
  fake = await new FakeAws().start();
  hub = new SecurityHubClient(clientConfig());
  s3 = new S3Client({ ...clientConfig(), forcePathStyle: true });
});
afterAll(async () => {
  hub.destroy();
  s3.destroy();
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  fake.s3.buckets.add(BUCKET);
});

/** A finding with every member the model requires. */
const finding = (i: number): AwsSecurityFinding => ({
  SchemaVersion: '2018-10-08',
  Id: `finding-${i}`,
  ProductArn: 'arn:aws:securityhub:eu-central-1:123456789012:product/123456789012/default',
  GeneratorId: 'pipewarden/snyk',
  AwsAccountId: '123456789012',
  CreatedAt: '2026-01-01T00:00:00Z',
  UpdatedAt: '2026-01-01T00:00:00Z',
  Title: `finding ${i}`,
  Description: 'a finding',
  Resources: [{ Type: 'Other', Id: 'acme/shop' }],
  Severity: { Label: 'HIGH' },
});
const importFindings = (Findings: AwsSecurityFinding[]) =>
  hub.send(new BatchImportFindingsCommand({ Findings }));

describe('the Security Hub fake checks BatchImportFindings against the API model', () => {
  it(`accepts ${MAX_FINDINGS_PER_IMPORT} conforming findings`, async () => {
    const answer = await importFindings(
      Array.from({ length: MAX_FINDINGS_PER_IMPORT }, (_, i) => finding(i)),
    );
    expect(answer.SuccessCount).toBe(MAX_FINDINGS_PER_IMPORT);
    expect(fake.rejected).toEqual([]);
  });

  it(`refuses ${MAX_FINDINGS_PER_IMPORT + 1} findings in one request with InvalidInputException (400)`, async () => {
    const error = await importFindings(
      Array.from({ length: MAX_FINDINGS_PER_IMPORT + 1 }, (_, i) => finding(i)),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidInputException', $metadata: { httpStatusCode: 400 } });
    expect(fake.rejected).toEqual([
      'POST /findings/import: Findings: Member must have length less than or equal to 100',
    ]);
    expect(fake.securityHub.imported.size).toBe(0);
  });

  it('refuses a finding without a required member, or with a member of the wrong type, naming it', async () => {
    const { Title: _omitted, ...untitled } = finding(1);
    const wrongType = {
      ...finding(2),
      Severity: { Label: 'HIGH', Normalized: '70' },
    } as unknown as AwsSecurityFinding;
    const error = await importFindings([untitled as AwsSecurityFinding, wrongType]).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidInputException', $metadata: { httpStatusCode: 400 } });
    expect(fake.rejected).toEqual([
      'POST /findings/import: Findings[0].Title: is required',
      'POST /findings/import: Findings[1].Severity.Normalized: must be a number',
    ]);
  });
});

describe('the Inspector2 part checks ListFindings and BatchGetCodeSnippet against the API model', () => {
  const inspector = () => new Inspector2Client(clientConfig());

  it('answers conforming requests and refuses maxResults over 100 or more than 10 ARNs with ValidationException', async () => {
    const client = inspector();
    try {
      await client.send(new ListFindingsCommand({ maxResults: 100 }));
      await client.send(new BatchGetCodeSnippetCommand({ findingArns: ['arn:1'] }));
      expect(fake.rejected).toEqual([]);
      await expect(client.send(new ListFindingsCommand({ maxResults: 101 }))).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
      const arns = Array.from({ length: 11 }, (_, i) => `arn:${i}`);
      await expect(client.send(new BatchGetCodeSnippetCommand({ findingArns: arns }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      expect(fake.rejected).toEqual([
        'POST /findings/list: maxResults: must be at most 100',
        'POST /codesnippet/batchget: findingArns: must be at most 10 long',
      ]);
      // Refused requests are not answered as if they had been served.
      expect(fake.inspector.listRequests).toHaveLength(1);
      expect(fake.inspector.snippetRequests).toEqual([['arn:1']]);
    } finally {
      client.destroy();
    }
  });
});

describe('the S3 fake answers conditional writes as S3 does', () => {
  const put = (Key: string, Body: string, condition: { IfMatch?: string; IfNoneMatch?: string } = {}) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...condition }));

  it('ETag is the quoted hex MD5 of the body; If-Match / If-None-Match give 412, 404 or success', async () => {
    const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;
    const first = await put('latest.json', 'one', { IfNoneMatch: '*' });
    expect(first.ETag).toBe(md5('one'));
    // If-None-Match: * on an existing key: 412 PreconditionFailed, nothing written.
    await expect(put('latest.json', 'two', { IfNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    // If-Match on another ETag: 412; on the current one: written, with the new body's ETag.
    await expect(put('latest.json', 'two', { IfMatch: md5('other') })).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    expect((await put('latest.json', 'two', { IfMatch: md5('one') })).ETag).toBe(md5('two'));
    // If-Match on a key that does not exist: 404 NoSuchKey.
    await expect(put('missing.json', 'x', { IfMatch: md5('two') })).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    expect(fake.s3.objects.has(`${BUCKET}/missing.json`)).toBe(false);
    expect(fake.s3.objects.get(`${BUCKET}/latest.json`)!.body.toString()).toBe('two');
  });
});

describe('the S3 fake checks object requests against the API model and S3 limits', () => {
  const put = (Key: string, Metadata?: Record<string, string>) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', ...(Metadata ? { Metadata } : {}) }));

  it(`stores a key of ${MAX_S3_KEY_BYTES} bytes and refuses one byte more with KeyTooLongError (400)`, async () => {
    await put('k'.repeat(MAX_S3_KEY_BYTES));
    expect(fake.s3.objects.has(`${BUCKET}/${'k'.repeat(MAX_S3_KEY_BYTES)}`)).toBe(true);
    // A multi-byte character: the limit is in UTF-8 bytes, not characters.
    const error = await put(`${'k'.repeat(MAX_S3_KEY_BYTES - 1)}é`).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KeyTooLongError', $metadata: { httpStatusCode: 400 } });
    expect(fake.rejected).toHaveLength(1);
    const read = await s3
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: `${'k'.repeat(MAX_S3_KEY_BYTES)}x` }))
      .catch((e: unknown) => e);
    expect(read).toMatchObject({ name: 'KeyTooLongError' });
  });

  it('refuses user metadata above 2 KB with MetadataTooLarge (400)', async () => {
    await put('small', { commit: 'a'.repeat(2000) });
    const error = await put('large', { commit: 'a'.repeat(2100) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'MetadataTooLarge', $metadata: { httpStatusCode: 400 } });
    expect([...fake.s3.objects.keys()]).toEqual([`${BUCKET}/small`]);
  });
});
