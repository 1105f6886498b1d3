import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PipewardenConfig } from '../../config/schema.js';
import { environmentPrincipals, remoteAccount } from '../accounts.js';
import type { DeployedEnvironment } from '../constructs/deployed-image.js';
import { allowKeyServices } from '../constructs/key-policy.js';
import { SecureBucket, accessLogBucket } from '../constructs/secure-bucket.js';

export interface ArtifactReplicaStackProps extends StackProps {
  readonly config: PipewardenConfig;
  /** The environments that run in this stack's region: their roles read the replicated artifacts. */
  readonly environments: readonly DeployedEnvironment[];
}

/** The names of a region's replica, fixed: the pipelines in aws.region name them across regions. */
export function artifactReplicaNames(config: Pick<PipewardenConfig, 'name' | 'aws'>, region: string) {
  return {
    stack: `${config.name}-artifacts-${region}`,
    bucket: `${config.name}-artifacts-${region}-${config.aws.account}`,
    alias: `alias/${config.name}-artifacts`,
  } as const;
}

/**
 * The tooling account's artifact store in another region, where an environment runs: CodePipeline copies each
 * action's input artifacts here before an action in this region (ECS deploy, CloudFormation deploy) reads them.
 * Built like the main artifact bucket (TLS only, versioned, access-logged, KMS, expiring) instead of the
 * support stacks CDK would generate, and shared the same way: only the named roles of the environments of this
 * region, only through S3.
 */
export class ArtifactReplicaStack extends Stack {
  readonly bucket: s3.Bucket;
  /** The key by its alias: a key's ARN cannot be named from another region's stack, its alias's can. */
  readonly alias: kms.Alias;

  constructor(scope: Construct, id: string, props: ArtifactReplicaStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = artifactReplicaNames(config, this.region);
    const key = new kms.Key(this, 'Key', {
      description: `${config.name}: replicated pipeline artifacts in ${this.region}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowKeyServices(key);
    this.alias = new kms.Alias(this, 'Alias', { aliasName: names.alias, targetKey: key });
    const logsBucket = accessLogBucket(
      this,
      'S3 server access logs are only delivered to buckets encrypted with SSE-S3.',
    );
    this.bucket = new SecureBucket(this, 'Artifacts', {
      bucketName: names.bucket,
      encryptionKey: this.alias,
      accessLogs: { bucket: logsBucket, prefix: 's3/artifacts/' },
      expiration: { days: config.retention.artifactsDays },
      noncurrentDays: 7,
    }).bucket;

    const accounts = [...new Set(props.environments.flatMap((e) => remoteAccount(config, e) ?? []))];
    const principals = accounts.map((a) => new iam.AccountPrincipal(a));
    const roles = environmentPrincipals(config, this.partition, props.environments).artifacts;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EnvironmentAccounts',
        principals,
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` },
          ArnLike: { 'aws:PrincipalArn': roles },
        },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EnvironmentAccountsReadArtifacts',
        principals,
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { ArnLike: { 'aws:PrincipalArn': roles } },
      }),
    );
  }
}
