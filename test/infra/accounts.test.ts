/* eslint-disable @typescript-eslint/no-explicit-any -- templates are plain JSON */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../infra/config/load-config.js';
import { BOOTSTRAP_QUALIFIER, DEPLOYER_TAG } from '../../infra/lib/accounts.js';
import { loadTemplates, type StackRef, type SynthesizedTemplates } from '../support/synth-cache.js';

// examples/org: three repositories, tooling 111111111111 and staging 222222222222 in eu-west-1, production
// 333333333333 in eu-central-1.
const TOOLING = '111111111111';
const STAGING = '222222222222';
const PRODUCTION = '333333333333';
const REGION = { staging: 'eu-west-1', production: 'eu-central-1' } as const;
const PREFIXES = ['acme', 'acme-web', 'acme-ledgerwork'];
/**
 * The roles of the environment accounts that run pipeline actions there and read their input artifacts from the
 * main bucket: staging's, in the tooling region (production's read the replica in theirs: regions.test.ts).
 */
const ARTIFACT_READERS = [['staging', STAGING]]
  .flatMap(([env, account]) => [
    `arn:aws:iam::${account}:role/acme-${env}-stack-deploy`,
    `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${REGION[env as keyof typeof REGION]}`,
    ...['acme', 'acme-web', 'acme-ledgerwork'].map((p) => `arn:aws:iam::${account}:role/${p}-deploy-${env}`),
  ])
  .sort();
const ENVIRONMENTS = [
  ['staging', STAGING],
  ['production', PRODUCTION],
] as const;

// Synthesized once per change of the sources, with every check, and shared with repositories.test.ts.
let app: SynthesizedTemplates;
beforeAll(() => {
  app = loadTemplates('organisation');
}, 900_000);

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: { AWS?: unknown };
  Action: unknown;
  Condition?: unknown;
};
const statements = (stack: StackRef, type: string, property: string): Statement[] =>
  Object.values(app.template(stack).findResources(type)).flatMap(
    (r) => (r as { Properties: Record<string, { Statement: Statement[] }> }).Properties[property]!.Statement,
  );
/**
 * The distinct accounts an AWS principal names, whatever the form CDK rendered: an account's root, or a role of it
 * (CDK's own grants to the cross-account action roles). Anything else (a wildcard) throws.
 */
const accountsOf = (principal: unknown): string[] => [
  ...new Set(
    (Array.isArray(principal) ? principal : [principal]).map((p) => {
      const text = JSON.stringify(p);
      const match = /iam::(\d{12}):(root|role\/[\w+=,.@-]+)"/.exec(text);
      if (!match) throw new Error(`not an account or role principal: ${text}`);
      return match[1]!;
    }),
  ),
];
/** The role ARNs a policy value names (literal or joined with the partition), sorted. */
const roleArns = (value: unknown): string[] =>
  (
    (typeof value === 'string' ? value : JSON.stringify(value))
      .replace(/"arn:",\{"Ref":"AWS::Partition"\},"/g, '"arn:aws')
      .match(/arn:aws:iam::\d{12}:role\/[\w+=,.@*-]+/g) ?? []
  ).sort();
type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOfStack = (stackName: string) =>
  app.assembly.stacks.find((s) => s.stackName === stackName)!.template.Resources as Record<string, Resource>;
/** A stack's roles by logical id: their name, trust, tags, and the statements of the policies attached. */
const rolesOf = (stackName: string) => {
  const resources = resourcesOfStack(stackName);
  const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([id, r]) => ({
      id,
      name: r.Properties.RoleName as string | undefined,
      trust: r.Properties.AssumeRolePolicyDocument.Statement as Statement[],
      tags: Object.fromEntries(
        ((r.Properties.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
      ),
      statements: policies
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(`{"Ref":"${id}"}`))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as (Statement & { Resource: unknown })[]),
    }));
};
/** IAM's ArnLike: `*` any run of characters, `?` one. */
const arnLike = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(arn);
const stackByName = (name: string) => {
  const stack = [
    app.stacks.storage,
    ...app.stacks.repositories.flatMap((r) => [r.staging, r.production]),
  ].find((s) => s.stackName === name);
  if (!stack) throw new Error(`no stack ${name}`);
  return stack;
};

describe('separate accounts per environment (examples/org)', () => {
  it('synthesizes every stack with zero cdk-nag and Control Tower violations', () => {
    expect(app.violations()).toEqual([]);
  });

  it('places tooling, staging and production stacks in their own accounts and regions', () => {
    const byAccount = new Map<string, string[]>();
    for (const s of app.assembly.stacks) {
      // Production's stacks, and the tooling account's artifact replica there, in production's region.
      const production =
        s.environment.account === PRODUCTION || s.stackName === 'acme-artifacts-eu-central-1';
      expect(s.environment.region).toBe(production ? REGION.production : REGION.staging);
      byAccount.set(s.environment.account, [...(byAccount.get(s.environment.account) ?? []), s.stackName]);
    }
    expect([...byAccount.keys()].sort()).toEqual([TOOLING, STAGING, PRODUCTION]);
    expect(byAccount.get(STAGING)!.sort()).toEqual([
      'acme-ledgerwork-staging',
      'acme-staging',
      'acme-staging-access',
      'acme-staging-network',
      'acme-staging-notifications',
      'acme-web-staging',
    ]);
    expect(byAccount.get(PRODUCTION)!.sort()).toEqual([
      'acme-ledgerwork-production',
      'acme-production',
      'acme-production-access',
      'acme-production-network',
      'acme-production-notifications',
      'acme-web-production',
    ]);
    // Pipelines, bot and findings store stay in the tooling account.
    for (const name of ['acme-storage', 'acme-bot', 'acme-pipelines', 'acme-infrastructure-pipeline']) {
      expect(byAccount.get(TOOLING)).toContain(name);
    }
  });

  it('lets exactly the environment accounts decrypt with the tooling key, only the roles that need it, through S3 or ECR', () => {
    const keyPolicy = statements(app.stacks.storage, 'AWS::KMS::Key', 'KeyPolicy');
    // No Allow for anyone: the only "*" principal is the deny of grants not made for AWS resources.
    expect(
      keyPolicy.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal) === '{"AWS":"*"}'),
    ).toEqual([]);
    const foreign = keyPolicy.filter(
      (s) =>
        s.Effect === 'Allow' &&
        s.Principal?.AWS !== undefined &&
        !accountsOf(s.Principal.AWS).includes(TOOLING),
    );
    // Ours (the accounts, for artifacts and for ECR pulls) and CDK's (the cross-account action roles).
    expect(foreign).toHaveLength(3);
    expect([...new Set(foreign.flatMap((s) => accountsOf(s.Principal!.AWS)))].sort()).toEqual([
      STAGING,
      PRODUCTION,
    ]);
    for (const s of foreign) expect(s.Action).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    // Within those accounts, only the roles that read artifacts (through S3) or pull images (through ECR).
    const artifacts = foreign.find((s) => s.Sid === 'EnvironmentAccounts')!;
    expect((artifacts.Condition as any).StringEquals).toEqual({
      'kms:ViaService': 's3.eu-west-1.amazonaws.com',
    });
    expect(roleArns((artifacts.Condition as any).ArnLike['aws:PrincipalArn'])).toEqual(ARTIFACT_READERS);
    const images = foreign.find((s) => s.Sid === 'EnvironmentAccountsPullImages')!;
    expect((images.Condition as any).StringEquals).toEqual({
      'kms:ViaService': 'ecr.eu-west-1.amazonaws.com',
    });
    expect(roleArns((images.Condition as any).ArnLike['aws:PrincipalArn'])).toEqual(
      ENVIRONMENTS.flatMap(([env, account]) =>
        PREFIXES.map((p) => `arn:aws:iam::${account}:role/${p}-${env}-execution`),
      ).sort(),
    );
    // CDK's grant names exactly the roles the tooling pipelines act as there.
    expect(roleArns(foreign.find((s) => s.Sid === undefined)!.Principal!.AWS)).toEqual(ARTIFACT_READERS);
  });

  it('lets exactly the environment accounts read the main artifacts, and nobody the feature pipeline’s', () => {
    const storage = app.template(app.stacks.storage);
    const policies = Object.values(storage.findResources('AWS::S3::BucketPolicy')) as {
      Properties: { Bucket: unknown; PolicyDocument: { Statement: Statement[] } };
    }[];
    const readers = policies.flatMap((r) =>
      r.Properties.PolicyDocument.Statement.filter(
        (s) => s.Effect === 'Allow' && s.Principal?.AWS !== undefined,
      ).map((s) => ({ bucket: JSON.stringify(r.Properties.Bucket), accounts: accountsOf(s.Principal!.AWS) })),
    );
    expect(readers.length).toBeGreaterThan(0);
    for (const r of readers) {
      expect(r.bucket).toMatch(/^\{"Ref":"ArtifactsBucket[0-9A-F]+"\}$/);
      // Production (eu-central-1) reads the replica there (test/infra/regions.test.ts).
      expect(r.accounts.sort()).toEqual([STAGING]);
    }
    // The accounts' statement lets in only the roles that run the pipelines' actions there.
    const accounts = policies
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .find((s) => s.Sid === 'EnvironmentAccountsReadArtifacts')!;
    expect(Object.keys(accounts.Condition as object)).toEqual(['ArnLike']);
    expect(roleArns((accounts.Condition as any).ArnLike['aws:PrincipalArn'])).toEqual(ARTIFACT_READERS);
  });

  it('lets exactly the environment accounts pull the production images, each only by its own services, never the CI images', () => {
    const repositories = app.template(app.stacks.storage).findResources('AWS::ECR::Repository');
    const entries = Object.values(repositories) as {
      Properties: { RepositoryName: string; RepositoryPolicyText?: { Statement: Statement[] } };
    }[];
    const production = entries.filter((r) => !r.Properties.RepositoryName.includes('-ci'));
    expect(production.map((r) => r.Properties.RepositoryName).sort()).toEqual([
      'acme-ledgerwork/ledger.worker',
      'acme-web/web-frontend',
      'acme/payments-api',
    ]);
    for (const r of production) {
      const [statement, ...more] = r.Properties.RepositoryPolicyText!.Statement;
      expect(more).toEqual([]);
      expect(accountsOf(statement!.Principal!.AWS).sort()).toEqual([STAGING, PRODUCTION]);
      expect(statement!.Action).toEqual([
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
      ]);
      // Within those accounts, only this repository's services (its prefix before the "/"), not another's.
      const prefix = r.Properties.RepositoryName.split('/')[0]!;
      expect(Object.keys(statement!.Condition as object)).toEqual(['ArnLike']);
      expect(roleArns((statement!.Condition as any).ArnLike['aws:PrincipalArn'])).toEqual(
        ENVIRONMENTS.map(
          ([env, account]) => `arn:aws:iam::${account}:role/${prefix}-${env}-execution`,
        ).sort(),
      );
    }
    for (const r of entries.filter((e) => e.Properties.RepositoryName.includes('-ci'))) {
      expect(r.Properties.RepositoryPolicyText).toBeUndefined();
    }
    // Each environment's task execution role pulls from the tooling account's repository by its ARN.
    app.template(stackByName('acme-web-production')).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  `:ecr:eu-west-1:${TOOLING}:repository/acme-web/web-frontend`,
                ],
              ],
            },
          }),
        ]),
      },
    });
  });

  it('deploys each environment through its own account’s role, with the approval before production', () => {
    for (const r of app.stacks.repositories) {
      const pipeline = app.template(r.pipelines).findResources('AWS::CodePipeline::Pipeline');
      const main = Object.values(pipeline).find((p) => JSON.stringify(p).includes('"Name":"Approval"')) as {
        Properties: { Stages: { Name: string; Actions: { Name: string; RoleArn: unknown }[] }[] };
      };
      const stages = main.Properties.Stages.map((s) => s.Name);
      expect(stages.slice(-3)).toEqual(['Staging', 'Approval', 'Production']);
      const deployRole = (stage: string) =>
        JSON.stringify(
          main.Properties.Stages.find((s) => s.Name === stage)!.Actions.find((a) => a.Name === 'Deploy')!
            .RoleArn,
        );
      // Each repository's own deploy role there, never another repository's.
      expect(roleArns(deployRole('Staging'))).toEqual([
        `arn:aws:iam::${STAGING}:role/${r.pipelines.stackName.replace(/-pipelines$/, '')}-deploy-staging`,
      ]);
      expect(roleArns(deployRole('Production'))).toEqual([
        `arn:aws:iam::${PRODUCTION}:role/${r.pipelines.stackName.replace(/-pipelines$/, '')}-deploy-production`,
      ]);
    }
  });

  it('gives each repository one role per duty in each environment account, and production no smoke-test role', () => {
    for (const [env] of ENVIRONMENTS) {
      const names = rolesOf(`acme-${env}-access`).flatMap((r) => (r.name ? [r.name] : []));
      expect(names.sort()).toEqual(
        [
          `acme-${env}-stack-deploy`,
          ...PREFIXES.flatMap((p) => [
            `${p}-deploy-${env}`,
            `${p}-record-image-${env}`,
            ...(env === 'staging' ? [`${p}-smoke-test-${env}`] : []),
          ]),
        ].sort(),
      );
    }
  });

  it('lets each repository’s environment roles be assumed only by its own main pipeline role of that duty', () => {
    // The tooling roles that could assume an environment role: its trust (the tooling account, the role-name
    // pattern, the duty's tag) and their own policy (sts:AssumeRole on it) must both allow it. CloudFormation
    // names each tooling role `<stack>-<logical id>-<suffix>`.
    const tooling = PREFIXES.flatMap((p) =>
      rolesOf(`${p}-pipelines`).map((r) => ({
        ...r,
        who: `${p}-pipelines/${r.id.replace(/[0-9A-F]{8}$/, '')}`,
        arn: `arn:aws:iam::${TOOLING}:role/${p}-pipelines-${r.id}-ABCDEF123456`,
        assumes: r.statements
          .filter((s) => JSON.stringify(s.Action) === '"sts:AssumeRole"')
          .flatMap((s) => roleArns(s.Resource)),
      })),
    );
    for (const [env, account] of ENVIRONMENTS) {
      for (const role of rolesOf(`acme-${env}-access`).filter(
        (r) => r.name && !r.name.endsWith('stack-deploy'),
      )) {
        const [trust, ...more] = role.trust;
        expect(more).toEqual([]);
        expect(accountsOf(trust!.Principal!.AWS)).toEqual([TOOLING]);
        const condition = trust!.Condition as any;
        const assumers = tooling.filter(
          (t) =>
            [condition.ArnLike['aws:PrincipalArn']].flat().some((p: string) => arnLike(p, t.arn)) &&
            Object.entries(condition.StringEquals as Record<string, string>).every(
              ([key, value]) => t.tags[key.replace('aws:PrincipalTag/', '')] === value,
            ) &&
            t.assumes.includes(`arn:aws:iam::${account}:role/${role.name}`),
        );
        const [, prefix, duty] = /^(.+)-(deploy|record-image|smoke-test)-\w+$/.exec(role.name!)!;
        const Env = env === 'staging' ? 'Staging' : 'Production';
        const expected = {
          deploy: 'MainRolesPipelineRole',
          'record-image': `Record${Env}ImageBuildRole`,
          'smoke-test': `${Env}SmokeTestBuildRole`,
        }[duty!];
        expect([role.name, assumers.map((t) => t.who)]).toEqual([
          role.name,
          [`${prefix}-pipelines/${expected}`],
        ]);
        expect(condition.StringEquals).toEqual({ [`aws:PrincipalTag/${DEPLOYER_TAG.key}`]: duty });
      }
    }
  });

  it('lets each environment role act only on its own repository’s resources, and only as its duty needs', () => {
    for (const [env, account] of ENVIRONMENTS) {
      const roles = rolesOf(`acme-${env}-access`);
      for (const p of PREFIXES) {
        const of = (name: string) => roles.find((r) => r.name === name)!.statements;
        const actions = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat()).sort();
        // The deploy role: this repository's service, task-definition family and task roles; the artifacts.
        const deploy = of(`${p}-deploy-${env}`);
        const resourcesOf = (action: string) =>
          JSON.stringify(deploy.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
        expect(resourcesOf('ecs:UpdateService')).toContain(
          `:ecs:${REGION[env]}:${account}:service/acme-${env}/${p}-${env}"`,
        );
        expect(resourcesOf('ecs:TagResource')).toContain(`:task-definition/${p}-${env}:*"`);
        expect(roleArns(resourcesOf('iam:PassRole'))).toEqual([
          `arn:aws:iam::${account}:role/${p}-${env}-execution`,
          `arn:aws:iam::${account}:role/${p}-${env}-task`,
        ]);
        // Which are the names the service stack gives its task definition's roles there.
        const taskDefinition = Object.values(resourcesOfStack(`${p}-${env}`)).find(
          (r) => r.Type === 'AWS::ECS::TaskDefinition',
        )!;
        const named = (ref: unknown) =>
          resourcesOfStack(`${p}-${env}`)[(ref as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]]!.Properties
            .RoleName;
        expect(named(taskDefinition.Properties.TaskRoleArn)).toBe(`${p}-${env}-task`);
        expect(named(taskDefinition.Properties.ExecutionRoleArn)).toBe(`${p}-${env}-execution`);
        for (const other of PREFIXES.filter((o) => o !== p))
          for (const name of [`/${other}-${env}"`, `/${other}-${env}:`, `/${other}-${env}-*`])
            expect(JSON.stringify(deploy)).not.toContain(name);
        expect(actions(deploy)).not.toContain('ssm:PutParameter');
        // The record-image role: its parameter, nothing else.
        const record = of(`${p}-record-image-${env}`);
        expect(record.map((s) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
          [
            'ssm:PutParameter',
            expect.stringContaining(`:ssm:${REGION[env]}:${account}:parameter/${p}/${env}/deployed-image"`),
          ],
        ]);
        // The smoke-test role: the URL parameter, nothing else.
        if (env === 'staging') {
          const smoke = of(`${p}-smoke-test-${env}`);
          expect(smoke.map((s) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
            [
              'ssm:GetParameter',
              expect.stringContaining(`:ssm:eu-west-1:${account}:parameter/${p}/${env}/url"`),
            ],
          ]);
        }
      }
    }
  });

  it('grants reading only SSM parameters the environment account’s stacks create', () => {
    for (const [env, account] of ENVIRONMENTS) {
      const created = new Set(
        app.assembly.stacks
          .filter((s) => s.environment.account === account)
          .flatMap((s) => Object.values(s.template.Resources as Record<string, Resource>))
          .filter((r) => r.Type === 'AWS::SSM::Parameter')
          .map((r) => r.Properties.Name as string),
      );
      const read = rolesOf(`acme-${env}-access`)
        .flatMap((r) => r.statements)
        .filter((s) => [s.Action].flat().includes('ssm:GetParameter'))
        .flatMap((s) => JSON.stringify(s.Resource).match(/:parameter(\/[\w/.-]+)/g)!)
        .map((m) => m.slice(':parameter'.length));
      // Staging's service stacks write their URLs; production's smoke test does not exist, nor its parameter.
      expect(read.sort()).toEqual(env === 'staging' ? PREFIXES.map((p) => `/${p}/staging/url`).sort() : []);
      for (const name of read) expect(created).toContain(name);
    }
  });

  it('trusts only the tooling account’s infrastructure pipeline in the stack-deploy role', () => {
    const role = rolesOf('acme-production-access').find((r) => r.name === 'acme-production-stack-deploy')!;
    const [statement, ...more] = role.trust;
    expect(more).toEqual([]);
    expect(accountsOf(statement!.Principal!.AWS)).toEqual([TOOLING]);
    expect(roleArns((statement!.Condition as any).ArnLike['aws:PrincipalArn'])).toEqual([
      `arn:aws:iam::${TOOLING}:role/acme-infrastructure-pipeline-*`,
    ]);
  });

  it('tags as deployers only the main pipeline and its record-image and smoke-test builds, each with its duty', () => {
    for (const stack of app.assembly.stacks.filter((s) => s.stackName.endsWith('-pipelines'))) {
      const roles = rolesOf(stack.stackName);
      const tagged = Object.fromEntries(
        roles
          .filter((r) => r.tags[DEPLOYER_TAG.key] !== undefined)
          .map((r) => [r.id.replace(/[0-9A-F]{8}$/, ''), r.tags[DEPLOYER_TAG.key]]),
      );
      expect(tagged).toEqual({
        MainRolesPipelineRole: 'deploy',
        RecordProductionImageBuildRole: 'record-image',
        RecordStagingImageBuildRole: 'record-image',
        StagingSmokeTestBuildRole: 'smoke-test',
      });
      expect(roles.some((r) => r.id.startsWith('FeatureRoles'))).toBe(true);
    }
  });

  it('names the CDK bootstrap qualifier in one place only', () => {
    const infra = join(import.meta.dirname, '..', '..', 'infra');
    const files = readdirSync(infra, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const naming = files.filter((f) => readFileSync(join(infra, f), 'utf8').includes(BOOTSTRAP_QUALIFIER));
    expect(naming).toEqual([join('lib', 'accounts.ts')]);
  });

  it('deploys the environment accounts’ stacks from the infrastructure pipeline through their own roles', () => {
    const [pipeline] = Object.values(
      app.template(app.stacks.infrastructure).findResources('AWS::CodePipeline::Pipeline'),
    ) as {
      Properties: {
        Stages: {
          Name: string;
          Actions: { Name: string; RoleArn: unknown; Configuration: { RoleArn?: unknown } }[];
        }[];
      };
    }[];
    const deploy = pipeline!.Properties.Stages.find((s) => s.Name === 'Deploy')!.Actions;
    const action = (name: string) => {
      const a = deploy.find((x) => x.Name === name)!;
      return { role: JSON.stringify(a.RoleArn), cloudFormation: JSON.stringify(a.Configuration.RoleArn) };
    };
    // The access stack creates the stack-deploy role, so it goes through the bootstrap's (cdk bootstrap --trust).
    expect(action('acme-staging-access').role).toContain(
      `:iam::${STAGING}:role/cdk-hnb659fds-deploy-role-${STAGING}-eu-west-1`,
    );
    for (const [name, account, env] of [
      ['acme-staging-network', STAGING, 'staging'],
      ['acme-web-staging', STAGING, 'staging'],
      ['acme-production', PRODUCTION, 'production'],
    ] as const) {
      expect(action(name).role).toContain(`:iam::${account}:role/acme-${env}-stack-deploy`);
      expect(action(name).cloudFormation).toContain(
        `:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${REGION[env]}`,
      );
    }
    // The tooling account's own stacks keep the tooling bootstrap's execution role.
    expect(action('acme-storage').cloudFormation).toContain(`cdk-hnb659fds-cfn-exec-role-`);
    expect(action('acme-storage').cloudFormation).not.toMatch(/222222222222|333333333333/);
  });

  it('runs production blue/green in the production account, its images from the tooling registry', () => {
    const production = app.template(stackByName('acme-production'));
    production.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Strategy: 'BLUE_GREEN' }),
    });
    const { artifactId } = stackByName('acme-production');
    expect(app.assembly.getStackArtifact(artifactId).environment.account).toBe(PRODUCTION);
  });
});

describe('environment account settings', () => {
  const raw = () => ({
    aws: { region: 'eu-west-1' },
    repository: { owner: 'o', name: 'r' },
    connection: { create: true, name: 'c' },
    environments: { staging: { account: STAGING }, production: {} },
    vpc: { cidr: '10.40.0.0/16', availabilityZones: ['eu-west-1a'], publicSubnetCidrs: ['10.40.0.0/24'] },
  });

  it('needs the tooling account when an environment names another', () => {
    expect(() => parseConfig(raw(), 'test config')).toThrow(/aws\.account.*give the tooling account id/);
  });

  it('refuses an environment in another region of the tooling account, naming the field and the fix', () => {
    const c = raw() as ReturnType<typeof raw> & { aws: { account?: string } };
    c.aws.account = TOOLING;
    (c.environments.production as { region?: string }).region = 'us-east-1';
    expect(() => parseConfig(c, 'test config')).toThrow(
      /environments\.production\.region.*us-east-1 is not aws\.region \(eu-west-1\).*set environments\.production\.account/,
    );
  });
});
