/* eslint-disable @typescript-eslint/no-explicit-any -- templates are plain JSON */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { parseConfig } from '../../infra/config/load-config.js';
import { loadTemplates } from '../support/synth-cache.js';

// examples/org: tooling 111111111111 and staging 222222222222 in eu-west-1, production 333333333333 in eu-central-1.
const TOOLING = '111111111111';
const STAGING = '222222222222';
const PRODUCTION = '333333333333';
const PREFIXES = ['acme', 'acme-web', 'acme-ledgerwork'];
const REPLICA = 'acme-artifacts-eu-central-1';
const REPLICA_BUCKET = `acme-artifacts-eu-central-1-${TOOLING}`;
const REPLICA_KEY = `arn:aws:kms:eu-central-1:${TOOLING}:alias/acme-artifacts`;

/** The roles of one environment account that read its actions' input artifacts (accounts.ts environmentPrincipals). */
const readers = (env: string, account: string, region: string, prefixes = PREFIXES) =>
  [
    `arn:aws:iam::${account}:role/acme-${env}-stack-deploy`,
    `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${region}`,
    ...prefixes.map((p) => `arn:aws:iam::${account}:role/${p}-deploy-${env}`),
  ].sort();

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (assembly: CloudAssembly, stackName: string) => {
  const stack = assembly.stacks.find((s) => s.stackName === stackName);
  if (!stack) throw new Error(`no stack ${stackName}`);
  return Object.values(stack.template.Resources as Record<string, Resource>);
};
const ofType = (assembly: CloudAssembly, stackName: string, type: string) =>
  resources(assembly, stackName).filter((r) => r.Type === type);
/** A template value with the partition written out, for comparing ARNs. */
const text = (x: unknown) => JSON.stringify(x).replace(/"arn:",\{"Ref":"AWS::Partition"\},"/g, '"arn:aws');
const pipelineOf = (assembly: CloudAssembly, stackName: string, name: string) =>
  ofType(assembly, stackName, 'AWS::CodePipeline::Pipeline').find((p) => p.Properties.Name === name)!
    .Properties;
const actions = (pipeline: Record<string, any>): Record<string, any>[] =>
  (pipeline.Stages as { Name: string; Actions: Record<string, any>[] }[]).flatMap((s) =>
    s.Actions.map((a) => ({ stage: s.Name, ...a })),
  );
const project = (assembly: CloudAssembly, stackName: string, name: string) =>
  ofType(assembly, stackName, 'AWS::CodeBuild::Project').find((p) => p.Properties.Name === name)!.Properties;
const envOf = (p: Record<string, any>) =>
  Object.fromEntries(
    (p.Environment.EnvironmentVariables as { Name: string; Value: unknown }[]).map((v) => [v.Name, v.Value]),
  );
const buildspecOf = (p: Record<string, any>) => String(p.Source.BuildSpec);
/** The statement of a resource policy with this Sid. */
const statement = (policies: Resource[], property: string, sid: string) =>
  policies
    .flatMap((r) => r.Properties[property].Statement as Record<string, any>[])
    .find((s) => s.Sid === sid)!;

/** The role ARNs a grant's aws:PrincipalArn condition names, partition written out, sorted. */
const principalArns = (grant: Record<string, any>): string[] =>
  [...grant.Condition.ArnLike['aws:PrincipalArn']]
    .map(text)
    .map((a) => JSON.parse(a) as string)
    .sort();

let org: CloudAssembly;
beforeAll(() => {
  // The checked synthesis accounts.test.ts shares (zero cdk-nag and Control Tower violations asserted there).
  org = loadTemplates('organisation').assembly;
}, 900_000);

describe('production in another region (examples/org)', () => {
  it('keeps a hardened artifact replica in the tooling account, in that region only', () => {
    const replicas = org.stacks.filter((s) => s.stackName.startsWith('acme-artifacts-'));
    expect(replicas.map((s) => [s.stackName, s.environment.account, s.environment.region])).toEqual([
      [REPLICA, TOOLING, 'eu-central-1'],
    ]);
    const buckets = ofType(org, REPLICA, 'AWS::S3::Bucket');
    const artifacts = buckets.find((b) => b.Properties.BucketName === REPLICA_BUCKET)!.Properties;
    // Encrypted with the replica key (by alias: the pipelines name it from eu-west-1), versioned, access-logged.
    expect(text(artifacts.BucketEncryption)).toContain('"SSEAlgorithm":"aws:kms"');
    expect(text(artifacts.BucketEncryption)).toContain('arn:aws:kms:eu-central-1:111111111111:');
    expect(artifacts.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(artifacts.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: expect.stringMatching(/^AccessLogs/),
    });
    const [key] = ofType(org, REPLICA, 'AWS::KMS::Key');
    expect(key!.Properties.EnableKeyRotation).toBe(true);
    expect(ofType(org, REPLICA, 'AWS::KMS::Alias').map((a) => a.Properties.AliasName)).toEqual([
      'alias/acme-artifacts',
    ]);
    // TLS only, on both buckets.
    for (const policy of ofType(org, REPLICA, 'AWS::S3::BucketPolicy'))
      expect(text(policy)).toContain('{"Bool":{"aws:SecureTransport":"false"}}');
  });

  it('lets exactly the production account’s artifact readers read the replica, the key only through S3 there', () => {
    const bucketGrant = statement(
      ofType(org, REPLICA, 'AWS::S3::BucketPolicy'),
      'PolicyDocument',
      'EnvironmentAccountsReadArtifacts',
    );
    expect(text(bucketGrant.Principal)).toBe(`{"AWS":"arn:aws:iam::${PRODUCTION}:root"}`);
    expect(bucketGrant.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(principalArns(bucketGrant)).toEqual(readers('production', PRODUCTION, 'eu-central-1'));
    const keyGrant = statement(ofType(org, REPLICA, 'AWS::KMS::Key'), 'KeyPolicy', 'EnvironmentAccounts');
    expect(text(keyGrant.Principal)).toBe(`{"AWS":"arn:aws:iam::${PRODUCTION}:root"}`);
    expect(keyGrant.Condition.StringEquals).toEqual({ 'kms:ViaService': 's3.eu-central-1.amazonaws.com' });
    expect(principalArns(keyGrant)).toEqual(readers('production', PRODUCTION, 'eu-central-1'));
    // Staging (eu-west-1) reads the main bucket, never the replica.
    expect(text(ofType(org, REPLICA, 'AWS::S3::BucketPolicy'))).not.toContain(STAGING);
    expect(text(ofType(org, REPLICA, 'AWS::KMS::Key'))).not.toContain(STAGING);
  });

  it('gives each main pipeline one artifact store per region and deploys production there', () => {
    for (const prefix of PREFIXES) {
      const main = pipelineOf(org, `${prefix}-pipelines`, `${prefix}-main`);
      expect(main.ArtifactStore).toBeUndefined();
      const stores = main.ArtifactStores as { Region: string; ArtifactStore: Record<string, any> }[];
      expect(stores.map((s) => s.Region)).toEqual(['eu-west-1', 'eu-central-1']);
      expect(stores[1]!.ArtifactStore).toEqual({
        Type: 'S3',
        Location: REPLICA_BUCKET,
        EncryptionKey: { Type: 'KMS', Id: REPLICA_KEY },
      });
      const deploys = actions(main).filter((a) => a.Name === 'Deploy');
      expect(deploys.map((a) => [a.stage, a.Region])).toEqual([
        ['Staging', undefined],
        ['Production', 'eu-central-1'],
      ]);
      // Only the deploy actions cross: the builds (RecordImage, SmokeTest) run in the tooling region.
      expect(
        actions(main)
          .filter((a) => a.Region !== undefined)
          .map((a) => a.stage),
      ).toEqual(['Production']);
      // The feature pipeline deploys nothing: one store.
      expect(pipelineOf(org, `${prefix}-pipelines`, `${prefix}-feature`).ArtifactStores).toBeUndefined();
    }
  });

  it('lets the main pipeline’s service role copy artifacts to the replica, its key only by alias', () => {
    const policies = ofType(org, 'acme-pipelines', 'AWS::IAM::Policy').filter((p) =>
      text(p.Properties.Roles).includes('MainRolesPipelineRole'),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Record<string, any>[],
    );
    const toReplica = statements.filter((s) => text(s.Resource).includes('eu-central-1'));
    expect(toReplica.map((s) => [s.Action, JSON.parse(text(s.Resource)), s.Condition])).toEqual([
      [
        ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
        `arn:aws:s3:::${REPLICA_BUCKET}/*`,
        // The bucket's name is guessable: only the tooling account's bucket of that name.
        { StringEquals: { 's3:ResourceAccount': TOOLING } },
      ],
      [
        ['kms:Decrypt', 'kms:GenerateDataKey'],
        `arn:aws:kms:eu-central-1:${TOOLING}:key/*`,
        { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/acme-artifacts' } },
      ],
    ]);
  });

  it('gives the replica to no other role of a pipelines stack: feature pipelines and builds never reach it', () => {
    for (const prefix of PREFIXES) {
      const stack = `${prefix}-pipelines`;
      const policies = [
        ...ofType(org, stack, 'AWS::IAM::Policy').filter(
          (p) => !text(p.Properties.Roles).includes('MainRolesPipelineRole'),
        ),
        ...ofType(org, stack, 'AWS::IAM::ManagedPolicy'),
        ...ofType(org, stack, 'AWS::IAM::Role'),
      ];
      expect(policies.length).toBeGreaterThan(3);
      for (const p of policies) {
        expect(text(p)).not.toContain(REPLICA_BUCKET);
        expect(text(p)).not.toContain(':kms:eu-central-1:');
        expect(text(p)).not.toContain('alias/acme-artifacts');
      }
      // The one role that does is the main pipeline's service role, which only CodePipeline assumes.
      const main = ofType(org, stack, 'AWS::IAM::Policy').filter((p) =>
        text(p.Properties.Roles).includes('MainRolesPipelineRole'),
      );
      expect(main).toHaveLength(1);
      expect(text(main)).toContain(REPLICA_BUCKET);
    }
  });

  it('switches the production RecordImage build to production’s region after assuming its role', () => {
    for (const prefix of PREFIXES) {
      const production = project(org, `${prefix}-pipelines`, `${prefix}-production-record-image`);
      expect(envOf(production).PIPEWARDEN_ENVIRONMENT_REGION).toBe('eu-central-1');
      const spec = buildspecOf(production);
      const assume = spec.indexOf('aws sts assume-role');
      const region = spec.indexOf(
        'export AWS_REGION=\\"$PIPEWARDEN_ENVIRONMENT_REGION\\" AWS_DEFAULT_REGION=\\"$PIPEWARDEN_ENVIRONMENT_REGION\\"',
      );
      expect(assume).toBeGreaterThan(-1);
      expect(region).toBeGreaterThan(assume);
      expect(region).toBeLessThan(spec.indexOf('aws ssm put-parameter'));
      // Staging shares the tooling region: its builds are as they were.
      for (const name of [`${prefix}-staging-record-image`, `${prefix}-staging-smoke-test`]) {
        const staging = project(org, `${prefix}-pipelines`, name);
        expect(envOf(staging).PIPEWARDEN_ENVIRONMENT_REGION).toBeUndefined();
        expect(buildspecOf(staging)).not.toContain('AWS_REGION');
      }
    }
  });

  it('deploys production’s stacks and the replica from the infrastructure pipeline in eu-central-1', () => {
    const pipeline = pipelineOf(org, 'acme-infrastructure-pipeline', 'acme-infrastructure');
    expect((pipeline.ArtifactStores as { Region: string }[]).map((s) => s.Region)).toEqual([
      'eu-west-1',
      'eu-central-1',
    ]);
    const deploys = actions(pipeline).filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    const byStack = new Map(deploys.map((a) => [a.Configuration.StackName as string, a]));
    const inCentral = deploys
      .filter((a) => a.Region === 'eu-central-1')
      .map((a) => a.Configuration.StackName);
    expect(inCentral.sort()).toEqual(
      [
        REPLICA,
        'acme-production-access',
        'acme-production-network',
        'acme-production-notifications',
        ...PREFIXES.map((p) => `${p}-production`),
      ].sort(),
    );
    // Each through the bootstrap of its account in eu-central-1.
    for (const name of inCentral) {
      const account = name === REPLICA ? TOOLING : PRODUCTION;
      expect(text(byStack.get(name)!.Configuration.RoleArn)).toBe(
        `"arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-eu-central-1"`,
      );
    }
    expect(text(byStack.get('acme-production-access')!.RoleArn)).toBe(
      `"arn:aws:iam::${PRODUCTION}:role/cdk-hnb659fds-deploy-role-${PRODUCTION}-eu-central-1"`,
    );
    // The replica deploys before every stack of a pipeline that copies artifacts into it.
    const stageIndex = (name: string) =>
      (pipeline.Stages as { Actions: { Configuration?: { StackName?: string } }[] }[]).findIndex((s) =>
        s.Actions.some((a) => a.Configuration?.StackName === name),
      );
    const order = (name: string) => [stageIndex(name), byStack.get(name)!.RunOrder as number];
    for (const p of PREFIXES) {
      const [replicaStage, replicaRun] = order(REPLICA);
      const [stage, run] = order(`${p}-pipelines`);
      expect(stage! > replicaStage! || (stage === replicaStage && run! > replicaRun!)).toBe(true);
    }
    // The tooling deploy role may pass the tooling bootstrap's execution role in eu-central-1 and read its
    // bootstrap version there.
    const deployPolicy = text(
      ofType(org, 'acme-infrastructure-pipeline', 'AWS::IAM::Policy').filter((p) =>
        text(p.Properties.Roles).includes('RolesDeployRole'),
      ),
    );
    expect(deployPolicy).toContain(
      `arn:aws:iam::${TOOLING}:role/cdk-hnb659fds-cfn-exec-role-${TOOLING}-eu-central-1`,
    );
    expect(deployPolicy).toContain(`:ssm:eu-central-1:${TOOLING}:parameter/cdk-bootstrap/hnb659fds/version`);
    expect(deployPolicy).toContain(`:cloudformation:eu-central-1:${TOOLING}:stack/${REPLICA}/*`);
    // The replica's own template is read from the replica (its action runs in eu-central-1), the key by alias,
    // the bucket only the tooling account's of that name.
    expect(deployPolicy).toContain(
      `{"Action":["s3:GetObject","s3:GetObjectVersion"],"Condition":{"StringEquals":{"s3:ResourceAccount":"${TOOLING}"}},"Effect":"Allow","Resource":"arn:aws:s3:::${REPLICA_BUCKET}/*"}`,
    );
    expect(deployPolicy).toContain(
      `{"Action":"kms:Decrypt","Condition":{"ForAnyValue:StringEquals":{"kms:ResourceAliases":"alias/acme-artifacts"}},"Effect":"Allow","Resource":"arn:aws:kms:eu-central-1:${TOOLING}:key/*"}`,
    );
    // Assets go to each account's bootstrap bucket in its region.
    const assets = text(
      ofType(org, 'acme-infrastructure-pipeline', 'AWS::IAM::Policy').filter((p) =>
        text(p.Properties.Roles).includes('AssetsRole'),
      ),
    );
    for (const [account, region] of [
      [TOOLING, 'eu-west-1'],
      [TOOLING, 'eu-central-1'],
      [STAGING, 'eu-west-1'],
      [PRODUCTION, 'eu-central-1'],
    ])
      expect(assets).toContain(`cdk-hnb659fds-file-publishing-role-${account}-${region}`);
    expect(assets).not.toContain(`file-publishing-role-${PRODUCTION}-eu-west-1`);
  });

  it('pulls production’s images from the tooling registry in eu-west-1, the key only through ECR there', () => {
    for (const prefix of PREFIXES) {
      const production = text(resources(org, `${prefix}-production`));
      expect(production).toContain(`:ecr:eu-west-1:${TOOLING}:repository/`);
    }
    // Nothing else of production's, its deploy roles included, is in the tooling region.
    const stacks = [
      ...PREFIXES.map((p) => `${p}-production`),
      'acme-production-access',
      'acme-production-network',
      'acme-production-notifications',
    ];
    for (const name of stacks) {
      const production = text(resources(org, name));
      expect(production).not.toMatch(/:(ssm|logs|ecs|sns|kms|s3|cloudformation|lambda):eu-west-1:/);
      expect(production).not.toMatch(/\.eu-west-1\.amazonaws\.com/);
    }
    // Its deploy roles read the artifacts from the replica: the tooling account's bucket, its key in eu-central-1
    // and only through S3 there.
    const access = text(resources(org, 'acme-production-access'));
    expect(access).toContain(`"Resource":"arn:aws:kms:eu-central-1:${TOOLING}:key/*"`);
    expect(new Set(access.match(/"kms:ViaService":"[^"]+"/g))).toEqual(
      new Set(['"kms:ViaService":"s3.eu-central-1.amazonaws.com"']),
    );
    expect(new Set(access.match(/"s3:ResourceAccount":"[^"]+"/g))).toEqual(
      new Set([`"s3:ResourceAccount":"${TOOLING}"`]),
    );
    const key = statement(
      ofType(org, 'acme-storage', 'AWS::KMS::Key'),
      'KeyPolicy',
      'EnvironmentAccountsPullImages',
    );
    expect(key.Condition.StringEquals).toEqual({ 'kms:ViaService': 'ecr.eu-west-1.amazonaws.com' });
  });

  it('builds production’s network in its own zones, with vpc’s CIDRs', () => {
    const subnets = ofType(org, 'acme-production-network', 'AWS::EC2::Subnet').map((s) => [
      s.Properties.AvailabilityZone,
      s.Properties.CidrBlock,
    ]);
    expect(subnets).toEqual([
      ['eu-central-1a', '10.50.0.0/24'],
      ['eu-central-1b', '10.50.1.0/24'],
    ]);
  });
});

describe('staging alone in another region (unchecked synthesis)', () => {
  // examples/org with its first repository only (prefix acme), staging in us-east-2 (zones us-east-2a and b),
  // production in the tooling region (stagingUsEast2 of test/infra/variants.ts, from the synth cache).
  let assembly: CloudAssembly;
  beforeAll(() => {
    assembly = loadTemplates('stagingUsEast2').assembly;
  }, 900_000);

  it('replicates to staging’s region only, for staging’s readers only', () => {
    const replicas = assembly.stacks.filter((s) => s.stackName.startsWith('acme-artifacts-'));
    expect(replicas.map((s) => [s.stackName, s.environment.account, s.environment.region])).toEqual([
      ['acme-artifacts-us-east-2', TOOLING, 'us-east-2'],
    ]);
    const grant = statement(
      ofType(assembly, 'acme-artifacts-us-east-2', 'AWS::S3::BucketPolicy'),
      'PolicyDocument',
      'EnvironmentAccountsReadArtifacts',
    );
    expect(text(grant.Principal)).toBe(`{"AWS":"arn:aws:iam::${STAGING}:root"}`);
    expect(principalArns(grant)).toEqual(readers('staging', STAGING, 'us-east-2', ['acme']));
    // The replica's key: the same readers, only through S3 in us-east-2.
    const keyGrant = statement(
      ofType(assembly, 'acme-artifacts-us-east-2', 'AWS::KMS::Key'),
      'KeyPolicy',
      'EnvironmentAccounts',
    );
    expect(text(keyGrant.Principal)).toBe(`{"AWS":"arn:aws:iam::${STAGING}:root"}`);
    expect(keyGrant.Condition.StringEquals).toEqual({ 'kms:ViaService': 's3.us-east-2.amazonaws.com' });
    expect(principalArns(keyGrant)).toEqual(readers('staging', STAGING, 'us-east-2', ['acme']));
    // Production (eu-west-1, the tooling region) reads the main bucket, never the replica.
    for (const type of ['AWS::S3::BucketPolicy', 'AWS::KMS::Key'])
      expect(text(ofType(assembly, 'acme-artifacts-us-east-2', type))).not.toContain(PRODUCTION);
  });

  it('deploys staging there and reads its URL there, production in the tooling region', () => {
    const main = pipelineOf(assembly, 'acme-pipelines', 'acme-main');
    expect((main.ArtifactStores as { Region: string }[]).map((s) => s.Region)).toEqual([
      'eu-west-1',
      'us-east-2',
    ]);
    expect(
      actions(main)
        .filter((a) => a.Name === 'Deploy')
        .map((a) => [a.stage, a.Region]),
    ).toEqual([
      ['Staging', 'us-east-2'],
      ['Production', undefined],
    ]);
    const smoke = project(assembly, 'acme-pipelines', 'acme-staging-smoke-test');
    expect(envOf(smoke).PIPEWARDEN_ENVIRONMENT_REGION).toBe('us-east-2');
    const spec = buildspecOf(smoke);
    expect(spec.indexOf('export AWS_REGION=')).toBeGreaterThan(spec.indexOf('aws sts assume-role'));
    expect(spec.indexOf('export AWS_REGION=')).toBeLessThan(spec.indexOf('aws ssm get-parameter'));
    expect(
      envOf(project(assembly, 'acme-pipelines', 'acme-production-record-image'))
        .PIPEWARDEN_ENVIRONMENT_REGION,
    ).toBe(undefined);
    for (const s of assembly.stacks.filter((x) => x.environment.account === STAGING))
      expect(s.environment.region).toBe('us-east-2');
  });
});

describe('every environment in aws.region (unchecked synthesis)', () => {
  it('adds no replica, no per-region store and no region switch', () => {
    // examples/org with its first repository only, production in the tooling region too (oneRegion of
    // test/infra/variants.ts, from the synth cache).
    const assembly = loadTemplates('oneRegion').assembly;
    expect(assembly.stacks.map((s) => s.environment.region).every((r) => r === 'eu-west-1')).toBe(true);
    expect(assembly.stacks.some((s) => s.stackName.includes('-artifacts-'))).toBe(false);
    const all = text(assembly.stacks.map((s) => s.template));
    expect(all).not.toContain('"ArtifactStores"');
    expect(all).not.toContain('PIPEWARDEN_ENVIRONMENT_REGION');
    // No action in another region (stack outputs name their region: those stay).
    for (const s of assembly.stacks)
      for (const r of Object.values(s.template.Resources as Record<string, Resource>))
        if (r.Type === 'AWS::CodePipeline::Pipeline')
          expect(actions(r.Properties).filter((a) => a.Region !== undefined)).toEqual([]);
  }, 900_000); // the first file to ask may wait for the synth child
});

describe('environment regions in the config', () => {
  const raw = () => ({
    aws: { account: TOOLING, region: 'eu-west-1' },
    repository: { owner: 'o', name: 'r' },
    connection: { create: true, name: 'c' },
    environments: { staging: {}, production: { account: PRODUCTION } } as Record<
      string,
      Record<string, unknown>
    >,
    vpc: {
      cidr: '10.40.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetCidrs: ['10.40.0.0/24', '10.40.1.0/24'],
    },
  });
  const withProduction = (production: Record<string, unknown>) => {
    const c = raw();
    c.environments.production = { account: PRODUCTION, ...production };
    return c;
  };

  it('accepts another region with the environment’s own account and its zones there', () => {
    const config = parseConfig(
      withProduction({ region: 'eu-central-1', availabilityZones: ['eu-central-1a', 'eu-central-1b'] }),
      'test config',
    );
    expect(config.environments.production.region).toBe('eu-central-1');
  });

  it('refuses another region in the tooling account, naming the field and the fix', () => {
    const c = raw();
    c.environments.staging = {
      region: 'eu-central-1',
      availabilityZones: ['eu-central-1a', 'eu-central-1b'],
    };
    expect(() => parseConfig(c, 'test config')).toThrow(
      /environments\.staging\.region.*another region needs the environment's own account; set environments\.staging\.account/,
    );
  });

  it('needs the zones of the other region, as many as vpc’s', () => {
    expect(() => parseConfig(withProduction({ region: 'eu-central-1' }), 'test config')).toThrow(
      /environments\.production\.availabilityZones.*give 2 availability zones of eu-central-1/,
    );
    expect(() =>
      parseConfig(
        withProduction({ region: 'eu-central-1', availabilityZones: ['eu-central-1a', 'eu-west-1b'] }),
        'test config',
      ),
    ).toThrow(/eu-west-1b is not in region eu-central-1/);
    expect(() =>
      parseConfig(
        withProduction({
          region: 'eu-central-1',
          availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
        }),
        'test config',
      ),
    ).toThrow(/environments\.production\.availabilityZones.*expected 2 zones/);
  });

  it('names the form of an availability zone it refuses', () => {
    expect(() =>
      parseConfig(
        withProduction({ region: 'eu-central-1', availabilityZones: ['eu-central-1a', 'euc1-az2'] }),
        'test config',
      ),
    ).toThrow(
      /"environments\.production\.availabilityZones\[1\]": expected an availability zone name like eu-west-1a/,
    );
    const c = raw();
    c.vpc.availabilityZones = ['eu-west-1a', 'EU-WEST-1B'];
    expect(() => parseConfig(c, 'test config')).toThrow(
      /"vpc\.availabilityZones\[1\]": expected an availability zone name like eu-west-1a/,
    );
  });

  it('refuses a certificate of another region or account than its environment’s load balancer', () => {
    const central = { region: 'eu-central-1', availabilityZones: ['eu-central-1a', 'eu-central-1b'] };
    const certificate = (region: string, account: string) =>
      `arn:aws:acm:${region}:${account}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
    // The environment's own region and account: accepted.
    expect(
      parseConfig(
        withProduction({ ...central, certificateArn: certificate('eu-central-1', PRODUCTION) }),
        'test config',
      ).environments.production.certificateArn,
    ).toBe(certificate('eu-central-1', PRODUCTION));
    // The tooling region (where the pipeline runs), or the tooling account's certificate.
    expect(() =>
      parseConfig(
        withProduction({ ...central, certificateArn: certificate('eu-west-1', PRODUCTION) }),
        'test config',
      ),
    ).toThrow(
      /"environments\.production\.certificateArn": a certificate of eu-west-1 in account 333333333333, but the environment's load balancer is in eu-central-1 of account 333333333333: request or import the certificate in ACM there/,
    );
    expect(() =>
      parseConfig(
        withProduction({ ...central, certificateArn: certificate('eu-central-1', TOOLING) }),
        'test config',
      ),
    ).toThrow(
      /"environments\.production\.certificateArn": a certificate of eu-central-1 in account 111111111111/,
    );
    // An environment of the tooling account in aws.region.
    const c = raw();
    c.environments.staging = { certificateArn: certificate('us-east-1', TOOLING) };
    expect(() => parseConfig(c, 'test config')).toThrow(
      /"environments\.staging\.certificateArn": a certificate of us-east-1 in account 111111111111, but the environment's load balancer is in eu-west-1 of account 111111111111/,
    );
    c.environments.staging = { certificateArn: 'arn:aws:acm:eu-west-1:certificate/x' };
    expect(() => parseConfig(c, 'test config')).toThrow(
      /"environments\.staging\.certificateArn": expected an ARN like arn:aws:acm:<region>:<account>:certificate\/<id>/,
    );
    // The error is one line.
    expect(() => parseConfig(c, 'test config')).toThrow(/^[^\n]+$/);
  });

  it('refuses zones for an environment in aws.region', () => {
    expect(() =>
      parseConfig(withProduction({ availabilityZones: ['eu-west-1a', 'eu-west-1b'] }), 'test config'),
    ).toThrow(/environments\.production\.availabilityZones.*only for an environment in another region/);
  });
});
