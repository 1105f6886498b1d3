import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../acknowledge.js';

export interface SecureBucketProps {
  /** A fixed name, for a bucket another region's stack names (cross-region references need one). */
  readonly bucketName?: string;
  /** KMS key for SSE-KMS; omitted only for log-target buckets, which AWS requires to use SSE-S3. */
  readonly encryptionKey?: kms.IKey;
  /** Where S3 server access logs go; omitted only for the log bucket itself. */
  readonly accessLogs?: { readonly bucket: s3.IBucket; readonly prefix: string };
  /**
   * Current objects under `prefix` (all when omitted) expire after `days`; one rule each. Objects under no
   * listed prefix never expire (the findings store's baselines).
   */
  readonly expiration?: { readonly days: number; readonly prefix?: string };
  /** More prefixes with their own expiry (each its own lifecycle rule). */
  readonly expirePrefixes?: readonly {
    readonly id: string;
    readonly days: number;
    readonly prefix: string;
  }[];
  /** Old versions are kept this long, so an overwrite or delete can be undone. */
  readonly noncurrentDays: number;
}

/** An S3 bucket with every control this system promises: TLS-only, versioned, private, encrypted, logged, expiring. */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey !== undefined,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs?.bucket,
      serverAccessLogsPrefix: props.accessLogs?.prefix,
      removalPolicy: RemovalPolicy.RETAIN,
      // Object Lock on, with no default retention: versions can be locked when needed (legal hold), while
      // lifecycle expiry keeps working. It can only be turned on when the bucket is created.
      objectLockEnabled: true,
      lifecycleRules: [
        {
          id: 'expire',
          prefix: props.expiration?.prefix,
          expiration: props.expiration ? Duration.days(props.expiration.days) : undefined,
          noncurrentVersionExpiration: Duration.days(props.noncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        ...(props.expirePrefixes ?? []).map((e) => ({
          id: e.id,
          prefix: e.prefix,
          expiration: Duration.days(e.days),
          noncurrentVersionExpiration: Duration.days(props.noncurrentDays),
        })),
      ],
    });
    // Object events go to EventBridge (free until a rule uses them). Set on the CloudFormation resource:
    // CDK's `eventBridgeEnabled` would add a custom-resource Lambda for the same setting.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }
}

/**
 * A stack's access-log target (construct id `AccessLogs`): SSE-S3, because neither S3 server access logging nor
 * ALB access logs accept SSE-KMS (`encryptionReason` says which of them this stack sends), and not logged into
 * itself.
 */
export function accessLogBucket(scope: Construct, encryptionReason: string): s3.Bucket {
  const bucket = new SecureBucket(scope, 'AccessLogs', { expiration: { days: 365 }, noncurrentDays: 30 })
    .bucket;
  const selfLogging = 'This is the access-log target bucket; logging it into itself would loop.';
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: selfLogging });
  acknowledgeControl(bucket, 's3_bucket_logging_enabled_check', selfLogging);
  acknowledgeControl(bucket, 's3_bucket_default_encryption_kms_check', encryptionReason);
  return bucket;
}
