import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GetObjectRequest$, HeadObjectRequest$, PutObjectRequest$ } from '@aws-sdk/client-s3';
import { xmlError } from './aws-http.js';
import { headerMembers } from './aws-model.js';

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

export interface S3Object {
  body: Buffer;
  etag: string;
  metadata: Record<string, string>;
  contentType?: string;
}

/**
 * S3 objects (path-style GET, HEAD, conditional PUT: If-None-Match: * on an existing key or If-Match on another
 * ETag → 412 PreconditionFailed, If-Match on a missing key → 404 NoSuchKey), served by
 * FakeAws. Each request is checked first against the operation's header members, the key length and the
 * user-metadata size, with the error S3 returns (KeyTooLongError, MetadataTooLarge, InvalidArgument: 400).
 */
export class S3Fake {
  readonly buckets = new Set<string>();
  readonly objects = new Map<string, S3Object>();
  /** Runs before a PUT is decided: a test can sneak in another writer here. */
  beforePut = async (_bucket: string, _key: string): Promise<void> => undefined;
  putStatus = (_bucket: string, _key: string): number | undefined => undefined;

  reset(): void {
    this.buckets.clear();
    this.objects.clear();
    this.beforePut = async () => undefined;
    this.putStatus = () => undefined;
  }

  /** A path-style object request; one S3 would refuse is reported to `reject`. */
  async handle(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    res: ServerResponse,
    reject: (problem: string) => void,
  ): Promise<void> {
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const head = req.method === 'HEAD';
    if (!this.buckets.has(bucket))
      return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', head);
    const problem = this.violation(req, key);
    if (problem) {
      reject(`${req.method} ${url.pathname}: ${problem.message}`);
      return xmlError(res, 400, problem.code, problem.message, head);
    }
    const id = `${bucket}/${key}`;
    if (req.method === 'PUT') {
      await this.beforePut(bucket, key);
      const forced = this.putStatus(bucket, key);
      if (forced) {
        const code = forced === 412 ? 'PreconditionFailed' : forced === 503 ? 'SlowDown' : 'InternalError';
        return xmlError(res, forced, code, 'injected', false);
      }
      const existing = this.objects.get(id);
      const ifMatch = req.headers['if-match'];
      const ifNoneMatch = req.headers['if-none-match'];
      // S3's conditional writes: If-Match on a key that does not exist is 404 NoSuchKey, not 412.
      if (ifMatch && !existing)
        return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', false);
      if ((ifMatch && existing!.etag !== ifMatch) || (ifNoneMatch === '*' && existing))
        return xmlError(
          res,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          false,
        );
      // A single-part PUT's ETag is the quoted hex MD5 of the body: the same bytes, the same ETag.
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
      const contentType = req.headers['content-type'];
      this.objects.set(id, { body, etag, metadata, ...(contentType ? { contentType } : {}) });
      res.writeHead(200, { etag });
      return void res.end();
    }
    if (req.method === 'GET' || head) {
      const object = this.objects.get(id);
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
  private violation(req: IncomingMessage, key: string): { code: string; message: string } | undefined {
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
