import { z } from 'zod';
import { contains, overlaps, parseCidr, type Cidr } from './cidr.js';

/**
 * The deployment's configuration: one JSON document, validated here before any construct exists.
 * Objects are strict, so a misspelt key is an error naming it instead of a silently ignored setting.
 */

// CodePipeline V2 trigger limits: at most 8 patterns in an include or exclude list.
const glob = z.string().min(1).max(255);
const globs = z.array(glob).max(8, 'at most 8 patterns (CodePipeline trigger limit)');

const branchFilter = z.strictObject({
  includes: globs.min(1, 'give at least one branch pattern'),
  excludes: globs.default([]),
});

const filePathFilter = z.strictObject({
  includes: globs.default([]),
  excludes: globs.default([]),
});

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: 'expected an IPv4 CIDR block like 10.40.0.0/24 with no host bits set',
});

const availabilityZone = z
  .string()
  .regex(
    /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/,
    'expected an availability zone name like eu-west-1a (region, then a letter)',
  );

const arn = (service: string, example: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `expected an ARN like ${example}`);

const connection = z.union(
  [
    z.strictObject({
      arn: arn(
        '(codestar-connections|codeconnections)',
        'arn:aws:codeconnections:<region>:<account>:connection/<id>',
      ),
    }),
    z.strictObject({
      create: z.literal(true),
      name: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'expected 1-32 letters, digits, . _ -'),
    }),
  ],
  {
    error:
      'expected {"arn": "arn:aws:codeconnections:<region>:<account>:connection/<id>"} or {"create": true, "name": "<name>"}',
  },
);

/** The ECS deploy action's deploymentTimeout (infra/lib/constructs/app-pipeline.ts): a deployment must end within it. */
export const DEPLOY_TIMEOUT_MINUTES = 60;
/** What a blue/green deployment takes besides the bake: green starting, passing health checks, traffic moving. */
export const DEPLOY_OVERHEAD_MINUTES = 15;

const environment = {
  /**
   * The AWS account the environment runs in. Absent or aws.account: the tooling account (one account for
   * everything). Another account: bootstrapped with `cdk bootstrap --trust <aws.account>` (docs/deploy.md).
   */
  account: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
    .optional(),
  /**
   * The region the environment runs in. Absent: aws.region. Another region needs the environment's own account
   * (`account`) and its `availabilityZones`; its pipeline actions then read a replica of the artifacts there.
   */
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region like eu-west-1')
    .optional(),
  /** The environment VPC's availability zones in `region` (the CIDRs are vpc's): only with another region. */
  availabilityZones: z.array(availabilityZone).min(2).max(3).optional(),
  desiredCount: z.number().int().min(1).max(20).default(1),
  /** Public listener port: 443 when certificateArn is given, else 80. */
  certificateArn: arn('acm', 'arn:aws:acm:<region>:<account>:certificate/<id>').optional(),
  allowedCidrs: z.array(cidr).min(1).default(['0.0.0.0/0']),
};

/** The paths an environment's automated check GETs after the health path, and how often it tries each. */
const urlCheck = z
  .strictObject({
    paths: z
      .array(
        z
          .string()
          .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, 'expected a path starting with /, like /api/status'),
      )
      .max(20, 'at most 20 paths')
      .default([]),
    /** Each URL is tried this many times, 10 seconds apart, before the check fails. */
    attempts: z.number().int().min(1).max(30).default(6),
  })
  .prefault({});

const mainPipeline = z
  .strictObject({
    branches: branchFilter.prefault({ includes: ['main'] }),
    filePaths: filePathFilter.prefault({}),
    executionMode: z.enum(['QUEUED', 'SUPERSEDED']).default('SUPERSEDED'),
  })
  .prefault({});

const featurePipeline = z
  .strictObject({
    branches: branchFilter.prefault({ includes: ['feature/**'] }),
    filePaths: filePathFilter.prefault({}),
    pullRequests: z
      .strictObject({
        /**
         * CodePipeline's V2 pull-request trigger cannot tell a fork's pull request apart, so it is opt-in:
         * by default the bot starts pull-request runs, and refuses a fork's head until a maintainer says so.
         * Enabled, it replaces the feature branches' push trigger: one trigger per change, never two runs.
         */
        enabled: z.boolean().default(false),
        into: globs.min(1).default(['main']),
        events: z
          .array(z.enum(['OPEN', 'UPDATED', 'CLOSED']))
          .min(1)
          .default(['OPEN', 'UPDATED']),
      })
      .prefault({}),
    executionMode: z.enum(['PARALLEL', 'QUEUED', 'SUPERSEDED']).default('PARALLEL'),
  })
  .prefault({});

const service = z
  .strictObject({
    containerName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/)
      .default('app'),
    containerPort: z.number().int().min(1).max(65535).default(8080),
    healthCheckPath: z
      .string()
      .regex(/^\/\S*$/, 'expected a path starting with /')
      .default('/'),
    /**
     * What the service runs until the main pipeline's first deployment replaces it. It must answer
     * healthCheckPath on containerPort as a non-root user with a read-only root filesystem (/tmp is writable).
     */
    initialImage: z.string().min(1).default('public.ecr.aws/nginx/nginx-unprivileged:stable-alpine'),
    /** The container's user (uid or uid:gid): Control Tower CT.ECS.PR.3 forbids root. */
    user: z
      .string()
      .regex(/^[1-9]\d*(:\d+)?$/, 'expected a non-root uid or uid:gid, like 1000 or 1000:1000')
      .default('1000'),
    cpu: z
      .union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)], {
        error: 'expected Fargate CPU units: 256, 512, 1024, 2048 or 4096',
      })
      .default(256),
    memoryMiB: z.number().int().min(512).max(30720).default(512),
  })
  .prefault({});

const repositoryRef = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'expected a GitHub user or organization name'),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected a GitHub repository name'),
  mainBranch: z.string().min(1).default('main'),
});

/** Words the system's own names use after the prefix (`<name>-ci-*`, `<name>-staging`, ...): never an id. */
const RESERVED_IDS = [
  'artifacts',
  'bot',
  'ci',
  'feature',
  'infra',
  'infrastructure',
  'main',
  'network',
  'notifications',
  'pipelines',
  'production',
  'security',
  'staging',
  'storage',
];
/**
 * Repositories one deployment holds, from the first AWS limit its stacks meet (measured by
 * test/infra/repository-limits.test.ts from the per-repository growth of every stack, and by
 * scripts/measure-repository-limits.ts at 50 to 200): CloudFormation's 500 resources a stack, which no quota
 * increase raises. All in one account, the storage stack grows by 7 a repository (its two image repositories
 * and the deployed-image parameters); with an environment in its own account, that account's access stack
 * grows by 10 (the repository's roles there). Beyond: several deployments with distinct names.
 */
export const REPOSITORY_LIMITS = {
  oneAccount: { max: 69, stack: 'storage' },
  environmentAccounts: { max: 49, stack: 'environment access' },
} as const;

const repositoryEntry = repositoryRef.extend({
  /**
   * Short id in this repository's resource names (`<name>-<id>-main`, `<name>-<id>/<repo>`): no hyphen, so two ids
   * can never compose the same name. Default: the repository name, lower-cased, letters and digits, 10 at most.
   * "" keeps the unprefixed names of the single-repository shorthand (for the repository a deployment started with).
   */
  id: z
    .string()
    .regex(
      /^([a-z][a-z0-9]{0,9})?$/,
      'expected "" or 1-10 lower-case letters and digits, starting with a letter',
    )
    .refine((id) => !RESERVED_IDS.includes(id), {
      message: `is a word the system's own names use (${RESERVED_IDS.join(', ')}); choose another id`,
    })
    .optional(),
  /** Replaces the deployment's `pipelines.main` / `pipelines.feature` for this repository (whole sections). */
  pipelines: z
    .strictObject({ main: mainPipeline.optional(), feature: featurePipeline.optional() })
    .optional(),
  /** Replaces the deployment's `service` for this repository (whole section). */
  service: service.optional(),
});

/** The id a repository entry gets when it names none: letters and digits of its name, starting with a letter. */
export function deriveRepositoryId(name: string): string {
  const clean = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const id = /^[a-z]/.test(clean) ? clean : `r${clean}`;
  return id.slice(0, 10);
}

const schema = z
  .strictObject({
    /** The JSON Schema editors validate the file with (schemas/pipewarden.config.schema.json); not used. */
    $schema: z.string().optional(),
    /** Prefix of every stack and named resource; lower case so it is valid everywhere (S3, ECR). */
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{1,19}$/,
        'expected 2-20 lower-case letters, digits or -, starting with a letter',
      )
      .default('pipewarden'),
    aws: z.strictObject({
      account: z
        .string()
        .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
        .optional(),
      region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region like eu-west-1'),
    }),
    /** One application repository: shorthand for a one-entry `repositories` whose resources keep unprefixed names. */
    repository: repositoryRef.optional(),
    /** The application repositories this deployment builds and deploys, each with its own pipelines and services. */
    repositories: z.array(repositoryEntry).min(1).optional(),
    /**
     * The repository holding this deployment (infra/, buildspecs/, dist/, this config): the infrastructure
     * pipeline's source. Absent: the application repository holds both (one repository for service and platform).
     */
    platformRepository: z
      .strictObject({
        owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'expected a GitHub user or organization name'),
        name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected a GitHub repository name'),
        branch: z.string().min(1).default('main'),
      })
      .optional(),
    connection,
    pipelines: z
      .strictObject({
        main: mainPipeline,
        feature: featurePipeline,
        infrastructure: z
          .strictObject({
            filePaths: globs.min(1).default([
              'infra/**',
              'cdk.json',
              'buildspecs/**',
              'dist/bot/**',
              'dist/cli/**',
              'pipewarden.config*.json',
              // A CDK, cdk-nag or other dependency bump changes the synthesized templates too.
              'package.json',
              'package-lock.json',
            ]),
            executionMode: z.enum(['QUEUED', 'SUPERSEDED']).default('QUEUED'),
          })
          .prefault({}),
      })
      .prefault({}),
    notifications: z
      .strictObject({
        emails: z.array(z.email('expected an e-mail address')).default([]),
        slack: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
              workspaceId: z
                .string()
                .regex(/^[A-Z0-9]{9,11}$/, 'expected a Slack workspace id like T0123456789'),
              channelId: z.string().regex(/^[A-Z0-9]{9,11}$/, 'expected a Slack channel id like C0123456789'),
            }),
          )
          .default([]),
        teams: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
              teamId: z.uuid('expected the Microsoft Teams team id (a UUID)'),
              tenantId: z.uuid('expected the Microsoft Entra tenant id (a UUID)'),
              channelId: z
                .string()
                .regex(
                  /^[A-Za-z0-9\-_=+/.,]*%3[aA][A-Za-z0-9\-_=+/.,]*%40[A-Za-z0-9\-_=+/.,]*$/,
                  'expected the URL-encoded channel id from the channel link, like 19%3Aabc%40thread.tacv2',
                ),
            }),
          )
          .default([]),
      })
      .prefault({}),
    service,
    environments: z.strictObject({
      staging: z.strictObject({
        ...environment,
        /**
         * The Staging stage's automated check after each deployment, before the approval: GET the service's
         * health path and each of these paths on the staging load balancer; an answer outside 200-299 (redirects followed) fails it.
         */
        smokeTest: urlCheck,
      }),
      production: z.strictObject({
        ...environment,
        /** The blue/green test listener: the new revision answers here before production traffic moves. */
        testListenerPort: z.number().int().min(1).max(65535).default(8443),
        testListenerCidrs: z.array(cidr).default([]),
        /**
         * Green's check before production traffic moves (ECS lifecycle hook, POST_TEST_TRAFFIC_SHIFT): GET the
         * health path and each of these paths through the test listener; an answer outside 200-399 or none,
         * after every try, rolls the deployment back.
         */
        smokeTest: urlCheck,
        /** How long green serves production traffic before blue is retired; rollback stays possible meanwhile. */
        bakeTimeMinutes: z
          .number()
          .int()
          .min(0)
          .max(
            DEPLOY_TIMEOUT_MINUTES - DEPLOY_OVERHEAD_MINUTES,
            `at most ${DEPLOY_TIMEOUT_MINUTES - DEPLOY_OVERHEAD_MINUTES}: the deploy action waits ${DEPLOY_TIMEOUT_MINUTES} minutes for the whole deployment, about ${DEPLOY_OVERHEAD_MINUTES} of them to start green and move traffic`,
          )
          .default(10),
        /**
         * The alarms that roll a blue/green deployment back. They watch the service's own target groups (blue and
         * green), not the whole load balancer, so another service behind it can never roll this one back.
         */
        alarms: z
          .strictObject({
            /** 5xx answers from the service's targets per minute. */
            target5xxPerMinute: z.number().int().min(1).default(5),
            /** Targets failing the health check. */
            unhealthyTargets: z.number().int().min(1).default(1),
            /** 99th percentile of the targets' response time, in seconds; 0 turns the latency alarm off. */
            p99LatencySeconds: z.number().min(0).max(60).default(0),
            /** Consecutive breaching minutes before an alarm fires. */
            evaluationMinutes: z.number().int().min(1).max(15).default(2),
          })
          .prefault({}),
      }),
    }),
    vpc: z.strictObject({
      cidr,
      availabilityZones: z.array(availabilityZone).min(2).max(3),
      natGateways: z.number().int().min(0).max(3).default(0),
      /** One CIDR per availability zone, in the same order: explicit so a re-layout never collides. */
      publicSubnetCidrs: z.array(cidr),
      privateSubnetCidrs: z.array(cidr).default([]),
    }),
    snyk: z
      .strictObject({
        /** An existing secret holding the Snyk token; omitted: the stack creates an empty one to fill. */
        tokenSecretArn: arn(
          'secretsmanager',
          'arn:aws:secretsmanager:<region>:<account>:secret:<name>',
        ).optional(),
        /**
         * The feature pipeline's token (unreviewed code reads it): a Snyk service account limited to testing,
         * never an org admin's. Omitted: the stack creates `<name>/snyk-token-ci` to fill.
         */
        ciTokenSecretArn: arn(
          'secretsmanager',
          'arn:aws:secretsmanager:<region>:<account>:secret:<name>',
        ).optional(),
      })
      .superRefine((snyk, ctx) => {
        if (snyk.tokenSecretArn && snyk.tokenSecretArn === snyk.ciTokenSecretArn) {
          ctx.addIssue({
            code: 'custom',
            path: ['ciTokenSecretArn'],
            message: 'must differ from snyk.tokenSecretArn: feature builds must never read the main token',
          });
        }
      })
      .prefault({}),
    bot: z
      .strictObject({
        /**
         * Lambda instances reserved for the bot (and its ceiling): a flood on the public webhook URL cannot take the
         * account's concurrency from pipeline events. AWS keeps 10 unreserved: a new account's limit may need raising.
         */
        reservedConcurrency: z.number().int().min(1).max(1000).default(10),
      })
      .prefault({}),
    security: z
      .strictObject({
        /** Deploy the Security Hub hub resource: leave off where the hub is enabled centrally (Organizations). */
        enableSecurityHub: z.boolean().default(false),
        /**
         * The main gate publishes findings to Security Hub (BatchImportFindings). Independent of enabling: with
         * a centrally enabled hub, set this alone. With enableSecurityHub too, the hub is deployed first.
         */
        publishToSecurityHub: z.boolean().default(false),
        enableInspector: z.boolean().default(false),
      })
      .prefault({}),
    build: z
      .strictObject({
        computeType: z.enum(['SMALL', 'MEDIUM', 'LARGE']).default('SMALL'),
        timeoutMinutes: z.number().int().min(5).max(480).default(30),
        /**
         * The service repository's own test buildspec, read from the source at run time by the Test action
         * (the only one: its project holds no secret and no right on the findings store, Security Hub or ECR).
         */
        testBuildspec: z
          .string()
          .regex(/^[A-Za-z0-9._/-]+\.ya?ml$/, 'expected a repository-relative .yml path, like buildspec.yml')
          .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
            message: 'expected a path inside the repository, like buildspec.yml',
          })
          .default('buildspec.yml'),
        /**
         * ECR pull-through cache for the image build's base images (`docker build --pull`), so Docker Hub's
         * anonymous rate limit never fails a build: reference base images as
         * `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream repository>` (docs/deploy.md).
         */
        pullThroughCache: z
          .strictObject({
            /** ECR Public needs no credentials; Docker Hub needs credentialSecretArn. */
            upstream: z.enum(['ecr-public', 'docker-hub']).default('ecr-public'),
            /** The first path segment of the cached repositories; default: the upstream's name. */
            prefix: z
              .string()
              .regex(
                /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
                'expected 2-30 lower-case letters, digits, . _ -, like ecr-public',
              )
              .min(2)
              .max(30)
              .optional(),
            /** Docker Hub only: a Secrets Manager secret named ecr-pullthroughcache/... ({"username","accessToken"}). */
            credentialSecretArn: z
              .string()
              .regex(
                /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/.+$/,
                'expected the ARN of a secret named ecr-pullthroughcache/<name> (ECR reads only secrets with that prefix)',
              )
              .optional(),
          })
          .superRefine((cache, ctx) => {
            if (cache.upstream === 'docker-hub' && !cache.credentialSecretArn) {
              ctx.addIssue({
                code: 'custom',
                path: ['credentialSecretArn'],
                message:
                  'Docker Hub needs credentials: create a secret named ecr-pullthroughcache/<name> with username and accessToken and give its ARN',
              });
            }
            if (cache.upstream === 'ecr-public' && cache.credentialSecretArn) {
              ctx.addIssue({
                code: 'custom',
                path: ['credentialSecretArn'],
                message: 'ECR Public takes no credentials: remove it, or set upstream to docker-hub',
              });
            }
          })
          .transform((cache) => ({ ...cache, prefix: cache.prefix ?? cache.upstream }))
          .prefault({}),
      })
      .prefault({}),
    retention: z
      .strictObject({
        artifactsDays: z.number().int().min(1).default(30),
        findingsDays: z.number().int().min(1).default(400),
        cacheDays: z.number().int().min(1).default(14),
        /** At least a year: Control Tower CT.CLOUDWATCH.PR.2. */
        logsDays: z
          .union(
            [
              z.literal(365),
              z.literal(400),
              z.literal(545),
              z.literal(731),
              z.literal(1827),
              z.literal(3653),
            ],
            {
              error:
                'expected one of 365, 400, 545, 731, 1827, 3653 (Control Tower CT.CLOUDWATCH.PR.2 asks for a year)',
            },
          )
          .default(365),
        /** Untagged images (superseded pushes, a re-pointed branch tag's previous image) in the production repository. */
        untaggedImagesDays: z.number().int().min(1).default(7),
        /** Images the feature pipeline pushes to the CI repository: nothing deploys them, they expire soon. */
        ciImagesDays: z.number().int().min(1).max(90).default(7),
        /**
         * Images that carry a `branch-*` tag (and so follow a branch head) kept in the production repository.
         * Commit-tagged images are never expired: any of them may be what production runs or rolls back to.
         */
        maxBranchImages: z.number().int().min(1).default(10),
        /** Replaced: a count over every image deleted what production ran (issue 11). */
        maxImages: z
          .never({
            error:
              'retention.maxImages is no longer accepted: commit-tagged images are kept (production may run or roll back to any of them); remove it, or set retention.maxBranchImages',
          })
          .optional(),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    checkRepositories(config, ctx);
    checkVpc(config.vpc, config.aws.region, ctx);
    checkEnvironmentAccounts(config, ctx);
    const prod = config.environments.production;
    if (prod.testListenerPort === (prod.certificateArn ? 443 : 80)) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', 'production', 'testListenerPort'],
        message: 'must differ from the production listener port',
      });
    }
  });

function checkEnvironmentAccounts(
  config: {
    aws: { account?: string; region: string };
    environments: Record<
      string,
      { account?: string; region?: string; availabilityZones?: string[]; certificateArn?: string }
    >;
    vpc: { availabilityZones: string[] };
  },
  ctx: z.RefinementCtx,
): void {
  for (const [name, env] of Object.entries(config.environments)) {
    if (env.account && env.account !== config.aws.account && !config.aws.account) {
      ctx.addIssue({
        code: 'custom',
        path: ['aws', 'account'],
        message: `give the tooling account id: environments.${name}.account is another account, which trusts it`,
      });
    }
    const region = env.region ?? config.aws.region;
    const own = env.account !== undefined && env.account !== config.aws.account;
    if (region !== config.aws.region && !own) {
      // The tooling account's shared network, key and log bucket live in aws.region only.
      ctx.addIssue({
        code: 'custom',
        path: ['environments', name, 'region'],
        message: `${region} is not aws.region (${config.aws.region}): another region needs the environment's own account; set environments.${name}.account or remove the region`,
      });
    }
    if (env.certificateArn)
      checkCertificate(name, env.certificateArn, region, env.account ?? config.aws.account, ctx);
    if (!env.availabilityZones) {
      if (region !== config.aws.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'availabilityZones'],
          message: `give ${config.vpc.availabilityZones.length} availability zones of ${region} (as many as vpc.availabilityZones): the environment runs in another region`,
        });
      }
      continue;
    }
    if (region === config.aws.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', name, 'availabilityZones'],
        message: `only for an environment in another region (environments.${name}.region); remove it, vpc.availabilityZones apply`,
      });
      continue;
    }
    if (env.availabilityZones.length !== config.vpc.availabilityZones.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', name, 'availabilityZones'],
        message: `expected ${config.vpc.availabilityZones.length} zones, one per subnet CIDR of vpc`,
      });
    }
    env.availabilityZones.forEach((az, i) => {
      if (!az.startsWith(region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'availabilityZones', i],
          message: `${az} is not in region ${region}`,
        });
      }
    });
  }
}

/** The load balancer's certificate: ACM serves it only to a load balancer of its own region and account. */
function checkCertificate(
  name: string,
  certificateArn: string,
  region: string,
  account: string | undefined,
  ctx: z.RefinementCtx,
): void {
  const parts = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[A-Za-z0-9-]+$/.exec(certificateArn);
  const path = ['environments', name, 'certificateArn'];
  if (!parts) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: 'expected an ARN like arn:aws:acm:<region>:<account>:certificate/<id>',
    });
  } else if (parts[1] !== region || (account !== undefined && parts[2] !== account)) {
    const where = account === undefined ? region : `${region} of account ${account}`;
    ctx.addIssue({
      code: 'custom',
      path,
      message: `a certificate of ${parts[1]} in account ${parts[2]}, but the environment's load balancer is in ${where}: request or import the certificate in ACM there and give its ARN`,
    });
  }
}

function checkVpc(vpc: z.infer<typeof schema.shape.vpc>, region: string, ctx: z.RefinementCtx): void {
  const azCount = vpc.availabilityZones.length;
  vpc.availabilityZones.forEach((az, i) => {
    if (!az.startsWith(region)) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpc', 'availabilityZones', i],
        message: `${az} is not in region ${region}`,
      });
    }
  });
  for (const key of ['publicSubnetCidrs', 'privateSubnetCidrs'] as const) {
    const list = vpc[key];
    if (list.length > 0 && list.length !== azCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpc', key],
        message: `give exactly one CIDR per availability zone (${azCount}), got ${list.length}`,
      });
    }
  }
  if (vpc.publicSubnetCidrs.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['vpc', 'publicSubnetCidrs'],
      message: 'the load balancers need them',
    });
  }
  if (vpc.privateSubnetCidrs.length > 0 && vpc.natGateways === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['vpc', 'natGateways'],
      message: 'private subnets need at least 1 NAT gateway to pull images; or drop privateSubnetCidrs',
    });
  }
  if (vpc.privateSubnetCidrs.length === 0 && vpc.natGateways > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['vpc', 'natGateways'],
      message: 'NAT gateways serve private subnets: set privateSubnetCidrs or natGateways: 0',
    });
  }
  const outer = parseCidr(vpc.cidr);
  if (!outer) return;
  const seen: { cidr: Cidr; label: string }[] = [];
  for (const key of ['publicSubnetCidrs', 'privateSubnetCidrs'] as const) {
    vpc[key].forEach((text, i) => {
      const subnet = parseCidr(text);
      if (!subnet) return;
      const path = ['vpc', key, i];
      if (!contains(outer, subnet)) {
        ctx.addIssue({ code: 'custom', path, message: `${text} is outside the VPC CIDR ${vpc.cidr}` });
      }
      if (subnet.prefix > 28) {
        ctx.addIssue({ code: 'custom', path, message: `${text} is smaller than /28, the AWS minimum` });
      }
      const clash = seen.find((s) => overlaps(s.cidr, subnet));
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${text} overlaps ${clash.cidr.text} (${clash.label})`,
        });
      }
      seen.push({ cidr: subnet, label: `vpc.${key}[${i}]` });
    });
  }
}

/** One application repository after validation: its id and its own (or the deployment's) pipelines and service. */
export interface RepositoryConfig {
  /** "" for the single-repository shorthand: its resources keep the unprefixed names. */
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  readonly mainBranch: string;
  readonly pipelines: { readonly main: MainPipeline; readonly feature: FeaturePipeline };
  readonly service: ServiceConfig;
}
type MainPipeline = z.output<typeof mainPipeline>;
type FeaturePipeline = z.output<typeof featurePipeline>;
type ServiceConfig = z.output<typeof service>;

function checkRepositories(config: z.output<typeof schema>, ctx: z.RefinementCtx): void {
  // A validated config (both keys, `repository` being the first entry) parses again to itself.
  const first = config.repositories?.[0];
  const agree =
    first !== undefined &&
    config.repository?.owner === first.owner &&
    config.repository.name === first.name &&
    config.repository.mainBranch === first.mainBranch;
  if (config.repository && config.repositories && !agree) {
    ctx.addIssue({
      code: 'custom',
      path: ['repositories'],
      message:
        'give either repository (one) or repositories (a list), not both: move repository into the list',
    });
    return;
  }
  if (!config.repository && !config.repositories) {
    ctx.addIssue({
      code: 'custom',
      path: ['repositories'],
      message: 'name the application repositories: "repositories": [{"owner": "...", "name": "..."}]',
    });
    return;
  }
  const limit = Object.values(config.environments).some(
    (env) => env.account && env.account !== config.aws.account,
  )
    ? REPOSITORY_LIMITS.environmentAccounts
    : REPOSITORY_LIMITS.oneAccount;
  const count = config.repositories?.length ?? 1;
  if (count > limit.max) {
    ctx.addIssue({
      code: 'custom',
      path: ['repositories'],
      message: `${count} repositories: at most ${limit.max} per deployment here (CloudFormation allows 500 resources a stack, and the ${limit.stack} stack holds a share of each repository's); split the organisation into several deployments with distinct names`,
    });
  }
  const seen = new Map<string, number>();
  const ids = new Map<string, number>();
  (config.repositories ?? []).forEach((entry, i) => {
    const key = `${entry.owner}/${entry.name}`.toLowerCase();
    const before = seen.get(key);
    if (before !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['repositories', i],
        message: `${entry.owner}/${entry.name} is listed twice (also repositories[${before}]); remove one`,
      });
    }
    seen.set(key, i);
    const id = entry.id ?? deriveRepositoryId(entry.name);
    const clash = ids.get(id);
    if (clash !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['repositories', i, 'id'],
        message: `id "${id}" is also repositories[${clash}]'s: set a distinct "id" on one of them`,
      });
    }
    ids.set(id, i);
  });
}

/** Fills in each repository's id, pipelines and service; `repository` becomes the first listed one. */
function resolveRepositories(config: z.output<typeof schema>) {
  const { repository, repositories: entries, ...rest } = config;
  const repositories: RepositoryConfig[] = entries
    ? entries.map((entry) => ({
        id: entry.id ?? deriveRepositoryId(entry.name),
        owner: entry.owner,
        name: entry.name,
        mainBranch: entry.mainBranch,
        pipelines: {
          main: entry.pipelines?.main ?? config.pipelines.main,
          feature: entry.pipelines?.feature ?? config.pipelines.feature,
        },
        service: entry.service ?? config.service,
      }))
    : [
        {
          id: '',
          ...repository!,
          pipelines: { main: config.pipelines.main, feature: config.pipelines.feature },
          service: config.service,
        },
      ];
  const first = repositories[0]!;
  return {
    ...rest,
    /** The first listed repository (the infrastructure pipeline's source when there is no platformRepository). */
    repository: { owner: first.owner, name: first.name, mainBranch: first.mainBranch },
    repositories,
  };
}

export const configSchema = schema.transform(resolveRepositories);
/** The configuration as written (defaults optional). */
export type PipewardenConfigInput = z.input<typeof configSchema>;
/** The configuration after validation, every default filled in. */
export type PipewardenConfig = z.output<typeof configSchema>;
