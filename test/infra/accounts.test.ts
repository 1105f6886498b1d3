import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../infra/config/load-config.js';
import { DEPLOYER_TAG } from '../../infra/lib/accounts.js';
import { loadTemplates, type StackRef, type SynthesizedTemplates } from '../support/synth-cache.js';

// examples/org: three repositories, tooling 111111111111, staging 222222222222, production 333333333333.
const TOOLING = '111111111111';
const STAGING = '222222222222';
const PRODUCTION = '333333333333';

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

  it('places tooling, staging and production stacks in their own accounts', () => {
    const byAccount = new Map<string, string[]>();
    for (const s of app.assembly.stacks) {
      expect(s.environment.region).toBe('eu-west-1');
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

  it('lets exactly the environment accounts decrypt with the tooling key, the accounts only through S3 and ECR', () => {
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
    // Ours (the accounts, for ECR pulls and artifacts) and CDK's (the cross-account action roles).
    expect(foreign).toHaveLength(2);
    expect([...new Set(foreign.flatMap((s) => accountsOf(s.Principal!.AWS)))].sort()).toEqual([
      STAGING,
      PRODUCTION,
    ]);
    for (const s of foreign) expect(s.Action).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    const accounts = foreign.find((s) => s.Sid === 'EnvironmentAccounts')!;
    expect(accounts.Condition).toEqual({
      StringEquals: { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com', 'ecr.eu-west-1.amazonaws.com'] },
    });
    // CDK's grant names exactly the roles the tooling pipelines act as there.
    const roles = JSON.stringify(foreign.find((s) => s.Sid === undefined)!.Principal!.AWS);
    expect(roles.match(/role\/[\w-]+/g)!.sort()).toEqual([
      'role/acme-production-pipeline-access',
      'role/acme-production-stack-deploy',
      'role/acme-staging-pipeline-access',
      'role/acme-staging-stack-deploy',
      'role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1',
      'role/cdk-hnb659fds-deploy-role-333333333333-eu-west-1',
    ]);
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
      expect(r.accounts.sort()).toEqual([STAGING, PRODUCTION]);
    }
  });

  it('lets exactly the environment accounts pull the production images, never the CI images', () => {
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
      expect(deployRole('Staging')).toContain(`:iam::${STAGING}:role/acme-staging-pipeline-access`);
      expect(deployRole('Production')).toContain(`:iam::${PRODUCTION}:role/acme-production-pipeline-access`);
    }
  });

  it('trusts only the tooling account’s pipeline roles in the environment roles', () => {
    const access = app.assembly.stacks.find((s) => s.stackName === 'acme-production-access')!;
    type Role = {
      Type: string;
      Properties: { RoleName?: unknown; AssumeRolePolicyDocument: { Statement: Statement[] } };
    };
    const roles = Object.values(access.template.Resources as Record<string, Role>).filter(
      (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName,
    );
    const trust = Object.fromEntries(
      roles.map((r) => [
        JSON.stringify(r.Properties.RoleName),
        r.Properties.AssumeRolePolicyDocument.Statement,
      ]),
    );
    expect(Object.keys(trust).sort()).toEqual([
      '"acme-production-pipeline-access"',
      '"acme-production-stack-deploy"',
    ]);
    for (const [statement, ...more] of Object.values(trust) as Statement[][]) {
      expect(more).toEqual([]);
      expect(accountsOf(statement!.Principal!.AWS)).toEqual([TOOLING]);
      expect(JSON.stringify(statement!.Condition)).toContain(`arn:aws:iam::${TOOLING}:role/acme-`);
    }
    // The pipelines stack's name prefix also covers the feature (CI) pipeline's roles: the tag decides.
    const [pipelineAccess] = trust['"acme-production-pipeline-access"']!;
    expect((pipelineAccess!.Condition as Record<string, Record<string, unknown>>).StringEquals).toEqual({
      [`aws:PrincipalTag/${DEPLOYER_TAG.key}`]: DEPLOYER_TAG.value,
    });
  });

  it('tags as deployers only the main pipeline and its record-image and smoke-test builds, never a CI role', () => {
    for (const stack of app.assembly.stacks.filter((s) => s.stackName.endsWith('-pipelines'))) {
      const resources = stack.template.Resources as Record<
        string,
        { Type: string; Properties?: { Tags?: unknown } }
      >;
      const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
      const tagged = roles
        .filter(([, r]) => JSON.stringify(r.Properties?.Tags ?? []).includes(DEPLOYER_TAG.key))
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort();
      expect(tagged).toEqual([
        'MainRolesPipelineRole',
        'RecordProductionImageBuildRole',
        'RecordStagingImageBuildRole',
        'StagingSmokeTestBuildRole',
      ]);
      expect(roles.some(([id]) => id.startsWith('FeatureRoles'))).toBe(true);
    }
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
        `:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-eu-west-1`,
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

  it('refuses an environment in another region, naming the field and the fix', () => {
    const c = raw() as ReturnType<typeof raw> & { aws: { account?: string } };
    c.aws.account = TOOLING;
    (c.environments.production as { region?: string }).region = 'us-east-1';
    expect(() => parseConfig(c, 'test config')).toThrow(
      /environments\.production\.region.*must be aws\.region \(eu-west-1\)/,
    );
  });
});
