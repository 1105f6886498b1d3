import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as codeconnections from 'aws-cdk-lib/aws-codeconnections';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { PipewardenConfig, RepositoryConfig } from '../../config/schema.js';
import { pipelineExecutionsPrefix } from '../../../findings/store/store-layout.js';
import { BRANCH_IMAGE_TAG_PREFIX } from '../../../pipeline/contracts.js';
import { acknowledgeControl } from '../acknowledge.js';
import { environmentPrincipals, environmentRegion, remoteAccount } from '../accounts.js';
import { DEPLOYED_ENVIRONMENTS, DeployedImageParameters } from '../constructs/deployed-image.js';
import { allowKeyServices } from '../constructs/key-policy.js';
import { SecureBucket, accessLogBucket } from '../constructs/secure-bucket.js';
import { imageRepositoryNames, pipelineNames, repositoryConstructId, repositoryPrefix } from '../names.js';

/** The registry each pull-through cache upstream names (ECR's UpstreamRegistryUrl). */
export const PULL_THROUGH_UPSTREAMS = {
  'ecr-public': 'public.ecr.aws',
  'docker-hub': 'registry-1.docker.io',
} as const;

export interface StorageStackProps extends StackProps {
  readonly config: PipewardenConfig;
  /**
   * The accounts staging and production run in when not this one: they read the main pipeline's artifacts
   * (the deploy actions' image definitions) and pull the production images, and nothing else of this stack.
   */
  readonly environmentAccounts?: readonly string[];
}

/** One application repository's image repositories and deployed-image parameters. */
export interface RepositoryImages {
  /** The production image repository: the main pipeline pushes, deployments read. */
  readonly repository: ecr.Repository;
  /** The feature pipeline's images: nothing deploys from it, images expire after `retention.ciImagesDays`. */
  readonly ciRepository: ecr.Repository;
  /** The image each environment of this account runs, as the application pipeline last deployed it (SSM). */
  readonly deployedImages?: DeployedImageParameters;
}

/**
 * Everything that outlives a deployment: the one KMS key, the buckets (artifacts of each principal, findings,
 * build cache, access logs), the image repositories and the Snyk tokens. Retained on stack deletion: it is
 * the history. What the feature pipeline (CI: unreviewed code) uses is separate from what the main pipeline
 * (CD) uses: its own artifact bucket, image repository and Snyk token (docs/security-model.md).
 */
export class StorageStack extends Stack {
  readonly key: kms.Key;
  readonly logsBucket: s3.Bucket;
  /** The main pipeline's (and the infrastructure pipeline's) artifacts. */
  readonly artifactBucket: s3.Bucket;
  /** The feature pipeline's artifacts: no main role is granted it, and no feature role the other. */
  readonly ciArtifactBucket: s3.Bucket;
  readonly findingsBucket: s3.Bucket;
  readonly cacheBucket: s3.Bucket;
  /** The production image repository: the main pipeline pushes, deployments read. */
  readonly repository: ecr.Repository;
  /** The image each environment runs, as the application pipeline last deployed it (SSM parameters). */
  readonly deployedImages?: DeployedImageParameters;
  /** The feature pipeline's images: nothing deploys from it, images expire after `retention.ciImagesDays`. */
  readonly ciRepository: ecr.Repository;
  /** Each application repository's images, by repository id (config.repositories). */
  readonly images: ReadonlyMap<string, RepositoryImages>;
  readonly snykToken: secretsmanager.ISecret;
  /** The feature pipeline's Snyk token: a separate, narrower one (docs/deploy.md). */
  readonly ciSnykToken: secretsmanager.ISecret;
  /** The GitHub connection every pipeline's source action uses. */
  readonly connectionArn: string;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = config.retention;

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${config.name}`,
      description: `${config.name}: artifacts, findings, cache, images, topics, queues, logs and secrets`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowKeyServices(this.key);

    this.logsBucket = accessLogBucket(
      this,
      'S3 server access logs and ALB access logs are only delivered to buckets encrypted with SSE-S3.',
    );

    const logsTo = (prefix: string) => ({ bucket: this.logsBucket, prefix: `s3/${prefix}/` });
    this.artifactBucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: this.key,
      accessLogs: logsTo('artifacts'),
      expiration: { days: retention.artifactsDays },
      noncurrentDays: 7,
    }).bucket;
    this.ciArtifactBucket = new SecureBucket(this, 'CiArtifacts', {
      encryptionKey: this.key,
      accessLogs: logsTo('ci-artifacts'),
      expiration: { days: retention.artifactsDays },
      noncurrentDays: 7,
    }).bucket;
    // Per-commit and per-execution findings expire (a feature execution's as soon as its artifacts);
    // branches/<branch>/latest.json (the pull-request baseline and the base policy) never does.
    const [first, ...others] = config.repositories.map((r) => ({
      id: r.id,
      repo: `${r.owner}/${r.name}`,
      pipelines: pipelineNames(repositoryPrefix(config.name, r.id)),
    }));
    const executions = (r: NonNullable<typeof first>, rule: (what: string) => string) => [
      {
        id: rule('main-executions'),
        days: retention.findingsDays,
        prefix: pipelineExecutionsPrefix(r.repo, r.pipelines.main),
      },
      {
        id: rule('feature-executions'),
        days: retention.artifactsDays,
        prefix: pipelineExecutionsPrefix(r.repo, r.pipelines.feature),
      },
    ];
    this.findingsBucket = new SecureBucket(this, 'Findings', {
      encryptionKey: this.key,
      accessLogs: logsTo('findings'),
      expiration: { days: retention.findingsDays, prefix: `${first!.repo}/commits/` },
      expirePrefixes: [
        ...executions(first!, (what) => what),
        ...others.flatMap((r) => [
          { id: `${r.id}-commits`, days: retention.findingsDays, prefix: `${r.repo}/commits/` },
          ...executions(r, (what) => `${r.id}-${what}`),
        ]),
      ],
      noncurrentDays: 90,
    }).bucket;
    this.cacheBucket = new SecureBucket(this, 'Cache', {
      encryptionKey: this.key,
      accessLogs: logsTo('cache'),
      expiration: { days: retention.cacheDays },
      noncurrentDays: 1,
    }).bucket;

    // Commit tags are immutable (every deployment names one); `branch-<name>` tags move with their branch,
    // which the image build re-points on each push and the bot deletes with the branch.
    const imageRepository = (id: string, repositoryName: string, lifecycleRules: ecr.LifecycleRule[]) =>
      new ecr.Repository(this, id, {
        repositoryName,
        imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
        imageTagMutabilityExclusionFilters: [
          ecr.ImageTagMutabilityExclusionFilter.wildcard(`${BRANCH_IMAGE_TAG_PREFIX}*`),
        ],
        imageScanOnPush: true,
        encryption: ecr.RepositoryEncryption.KMS,
        encryptionKey: this.key,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules,
      });
    const images = new Map<string, RepositoryImages>();
    for (const r of config.repositories) images.set(r.id, this.repositoryImages(config, r, imageRepository));
    this.images = images;
    const firstImages = images.get(config.repositories[0]!.id)!;
    this.repository = firstImages.repository;
    this.ciRepository = firstImages.ciRepository;
    this.deployedImages = firstImages.deployedImages;

    const accounts = props.environmentAccounts ?? [];
    if (accounts.length > 0) this.shareWithEnvironments(config, accounts, images);

    if ('arn' in config.connection) {
      this.connectionArn = config.connection.arn;
    } else {
      // Created PENDING: someone must complete the GitHub handshake once in the console (docs/deploy.md).
      const connection = new codeconnections.CfnConnection(this, 'GitHubConnection', {
        connectionName: config.connection.name,
        providerType: 'GitHub',
      });
      connection.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.connectionArn = connection.attrConnectionArn;
    }
    new CfnOutput(this, 'GitHubConnectionArn', {
      value: this.connectionArn,
      description: 'Complete the handshake once: console > Developer Tools > Settings > Connections',
    });

    // Base images through this account's registry: `docker build --pull` in the image projects never meets
    // Docker Hub's anonymous rate limit, and an upstream outage does not stop a build whose base is cached.
    const cache = config.build.pullThroughCache;
    new ecr.CfnPullThroughCacheRule(this, 'PullThroughCache', {
      ecrRepositoryPrefix: cache.prefix,
      upstreamRegistry: cache.upstream,
      upstreamRegistryUrl: PULL_THROUGH_UPSTREAMS[cache.upstream],
      credentialArn: cache.credentialSecretArn,
    });

    this.snykToken = config.snyk.tokenSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'SnykToken', config.snyk.tokenSecretArn)
      : this.createSnykSecret(
          'SnykToken',
          `${config.name}/snyk-token`,
          "the main pipeline's scan and the infrastructure synth",
        );
    this.ciSnykToken = config.snyk.ciTokenSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'CiSnykToken', config.snyk.ciTokenSecretArn)
      : this.createSnykSecret(
          'CiSnykToken',
          `${config.name}/snyk-token-ci`,
          "the feature pipeline's scan (unreviewed code): a Snyk service account limited to testing, not an org admin",
        );
  }

  /** One repository's production and CI image repositories and deployed-image parameters. */
  private repositoryImages(
    config: PipewardenConfig,
    r: RepositoryConfig,
    imageRepository: (id: string, name: string, rules: ecr.LifecycleRule[]) => ecr.Repository,
  ): RepositoryImages {
    const retention = config.retention;
    const prefix = repositoryPrefix(config.name, r.id);
    const id = (base: string) => repositoryConstructId(base, r.id);
    const names = imageRepositoryNames(prefix, r.name);
    const repository = imageRepository(
      id('Repository'),
      names.production,
      // Only what no deployment can use expires. Commit-tagged images are never selected: production runs one
      // and rolls back to another, and a task replacement or scale-out pulls it again at any time. No rule
      // counts over every image (TagStatus.ANY): pushes would push the deployed images out.
      [
        {
          rulePriority: 1,
          description: 'untagged images: superseded pushes, a moved branch tag',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(retention.untaggedImagesDays),
        },
        {
          // An image tagged `branch-<name>` is the head of a branch; it keeps its commit tag when the branch
          // tag moves on, and then this rule no longer selects it.
          rulePriority: 2,
          description: 'branch-tagged images beyond the newest few',
          tagStatus: ecr.TagStatus.TAGGED,
          tagPrefixList: [BRANCH_IMAGE_TAG_PREFIX],
          maxImageCount: retention.maxBranchImages,
        },
      ],
    );
    // An environment in another account keeps its parameter there (EnvironmentAccessStack).
    const local = DEPLOYED_ENVIRONMENTS.filter((env) => !remoteAccount(config, env));
    const deployedImages =
      local.length > 0
        ? new DeployedImageParameters(this, id('DeployedImages'), {
            system: prefix,
            initialImage: r.service.initialImage,
            key: this.key,
            logsDays: retention.logsDays,
            environments: local,
          })
        : undefined;

    // The feature pipeline's images: built from unreviewed code, so kept apart from what production pulls.
    const ciRepository = imageRepository(id('CiRepository'), names.ci, [
      {
        rulePriority: 1,
        description: 'feature-branch images: nothing deploys them',
        tagStatus: ecr.TagStatus.ANY,
        maxImageAge: Duration.days(retention.ciImagesDays),
      },
    ]);
    acknowledgeControl(
      ciRepository,
      'ecr_private_tag_immutability_enabled_check',
      `Only ${BRANCH_IMAGE_TAG_PREFIX}* tags are mutable: they follow a feature branch head. Nothing deploys from this repository.`,
    );
    acknowledgeControl(
      repository,
      'ecr_private_tag_immutability_enabled_check',
      `Only ${BRANCH_IMAGE_TAG_PREFIX}* tags are mutable: they follow a branch head. Commit tags, the only ones deployed, are immutable.`,
    );
    return { repository, ciRepository, deployedImages };
  }

  /**
   * What the environment accounts may read, each grant naming exactly those accounts: the main artifacts (not the
   * feature pipeline's), the production images (not the CI ones), and the key only through S3 and ECR; and within
   * those accounts only the roles that need it (aws:PrincipalArn, accounts.ts environmentPrincipals).
   */
  private shareWithEnvironments(
    config: PipewardenConfig,
    accounts: readonly string[],
    images: ReadonlyMap<string, RepositoryImages>,
  ): void {
    const principals = () => accounts.map((a) => new iam.AccountPrincipal(a));
    const roles = environmentPrincipals(config, this.partition);
    // Artifacts only to the environments of this region: another region's actions read its replica
    // (ArtifactReplicaStack); images to all, pulled across regions from this registry.
    const here = DEPLOYED_ENVIRONMENTS.filter((e) => environmentRegion(config, e) === this.region);
    const readers = environmentPrincipals(config, this.partition, here).artifacts;
    const readerAccounts = [...new Set(here.flatMap((e) => remoteAccount(config, e) ?? []))];
    if (readerAccounts.length > 0) this.shareArtifacts(readerAccounts, readers);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EnvironmentAccountsPullImages',
        principals: principals(),
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `ecr.${this.region}.amazonaws.com` },
          ArnLike: { 'aws:PrincipalArn': roles.images },
        },
      }),
    );
    // Each repository's production images only to its own services' execution roles (the key's ECR condition
    // names the execution roles of every repository, so it alone would let X's services pull Y's images).
    for (const [id, { repository }] of images) {
      repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EnvironmentAccountsPull',
          principals: principals(),
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
          conditions: { ArnLike: { 'aws:PrincipalArn': roles.imagesOf.get(id) ?? [] } },
        }),
      );
    }
  }

  /** The main artifacts and the key through S3, to these accounts' `roles` (environmentPrincipals().artifacts). */
  private shareArtifacts(accounts: readonly string[], roles: readonly string[]): void {
    const principals = () => accounts.map((a) => new iam.AccountPrincipal(a));
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EnvironmentAccounts',
        principals: principals(),
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` },
          ArnLike: { 'aws:PrincipalArn': [...roles] },
        },
      }),
    );
    this.artifactBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EnvironmentAccountsReadArtifacts',
        principals: principals(),
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.artifactBucket.arnForObjects('*')],
        conditions: { ArnLike: { 'aws:PrincipalArn': [...roles] } },
      }),
    );
  }

  private createSnykSecret(id: string, secretName: string, usedBy: string): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      secretName,
      description: `Snyk API token for ${usedBy}; replace the placeholder value`,
      encryptionKey: this.key,
      // A random placeholder, so no value sits in the template and an update never resets the real token.
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A Snyk API token is issued by Snyk; AWS cannot rotate it. Rotate it in Snyk and put the new value.',
    });
    return secret;
  }
}
