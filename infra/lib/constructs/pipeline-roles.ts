import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../acknowledge.js';
import { describeBucket, objectsArn, readObjects, writeObjects } from './grants.js';
import { markDeployer } from '../accounts.js';

/** The pipeline's artifact store in another region (ArtifactReplicaStack), its key named by its alias. */
export interface ArtifactReplica {
  readonly region: string;
  readonly bucket: s3.IBucket;
  readonly aliasName: string;
}

/**
 * A Pipeline's artifact store props: the main bucket alone, or with replicas the map of every region's
 * bucket, this region's the main one (CDK takes one or the other). Only with replicas: an empty map would
 * still switch the template to per-region artifact stores.
 */
export function artifactStores(
  scope: Construct,
  bucket: s3.IBucket,
  replicas: readonly ArtifactReplica[] = [],
): { artifactBucket: s3.IBucket } | { crossRegionReplicationBuckets: Record<string, s3.IBucket> } {
  if (replicas.length === 0) return { artifactBucket: bucket };
  return {
    crossRegionReplicationBuckets: Object.fromEntries([
      [Stack.of(scope).region, bucket],
      ...replicas.map((r) => [r.region, r.bucket]),
    ]),
  };
}

export interface PipelineRolesProps {
  readonly pipelineName: string;
  readonly artifactBucket: s3.IBucket;
  readonly key: kms.IKey;
  /** Where CodePipeline copies the artifacts of actions in other regions: the service role writes them there. */
  readonly replicas?: readonly ArtifactReplica[];
}

/**
 * A pipeline's service role and one role per kind of action, each assumable only by that service role.
 * Pass them to CDK with `withoutPolicyUpdates()` so CDK's broad default grants are not added on top.
 */
export class PipelineRoles extends Construct {
  readonly pipeline: iam.Role;
  private readonly props: PipelineRolesProps;

  constructor(scope: Construct, id: string, props: PipelineRolesProps) {
    super(scope, id);
    this.props = props;
    this.pipeline = new iam.Role(this, 'PipelineRole', {
      assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com'),
      description: `${props.pipelineName}: CodePipeline service role`,
    });
    readObjects(this.pipeline, props.artifactBucket, props.key);
    writeObjects(this.pipeline, props.artifactBucket, props.key);
    for (const replica of props.replicas ?? []) this.replicaObjects(this.pipeline, replica, true);
  }

  /**
   * The service role copies input artifacts to a region's replica (`write`); an action role of this account in that
   * region reads them there. The key is named by its alias (kms:ResourceAliases): a key ARN cannot be referenced
   * from another region's stack, and an alias ARN as a policy resource never matches the key.
   */
  replicaObjects(role: iam.IRole, { region, bucket, aliasName }: ArtifactReplica, write = false): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion', ...(write ? ['s3:PutObject'] : [])],
        resources: [objectsArn(role, bucket)],
        // The replica's name is fixed and guessable: only this account's bucket of that name, never one another
        // account created first (artifacts written to it, or templates read from it).
        conditions: { StringEquals: { 's3:ResourceAccount': stack.account } },
      }),
    );
    const keys = stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: write ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
        resources: [keys],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasName } },
      }),
    );
    acknowledgeWildcardResource(
      role,
      keys,
      `The replica key in ${region} is generated there; only the key with alias ${aliasName} matches (kms:ResourceAliases).`,
    );
  }

  /** A role for one kind of action; only the pipeline's service role may assume it. */
  action(id: string, description: string): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ArnPrincipal(this.pipeline.roleArn),
      description: `${this.props.pipelineName}: ${description}`,
    });
    this.pipeline.addToPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [role.roleArn] }),
    );
    return role;
  }

  /** A role of another account (an environment's) that an action runs as: the service role may assume it. */
  remote(id: string, roleArn: string): iam.IRole {
    this.pipeline.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [roleArn] }));
    markDeployer(this.pipeline, 'deploy');
    return iam.Role.fromRoleArn(this, id, roleArn, { mutable: false });
  }

  /** The source action: use the connection, write the checked-out commit to the artifact bucket. */
  source(connectionArn: string): iam.Role {
    const { artifactBucket: bucket, key } = this.props;
    const role = this.action('SourceRole', 'source action');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codestar-connections:UseConnection', 'codeconnections:UseConnection'],
        resources: [connectionArn],
      }),
    );
    writeObjects(role, bucket, key);
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObjectAcl'], resources: [objectsArn(role, bucket)] }),
    );
    describeBucket(role, bucket);
    return role;
  }

  /** CodeBuild actions only start and watch their projects; the projects' own roles touch the artifacts. */
  build(projectArns: string[]): iam.Role {
    const role = this.action('BuildRole', 'CodeBuild actions');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
        resources: projectArns,
      }),
    );
    return role;
  }
}
