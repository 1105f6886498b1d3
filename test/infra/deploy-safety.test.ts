/* eslint-disable @typescript-eslint/no-explicit-any -- templates are walked as raw JSON */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { parseConfig } from '../../infra/config/load-config.js';
import {
  DeployedImageRecorder,
  deployedImageParameterName,
  recordImageBuildspec,
} from '../../infra/lib/constructs/deployed-image.js';
import { SmokeTest, smokeTestBuildspec } from '../../infra/lib/constructs/smoke-test.js';
import { loadTemplates, type StackRef, type SynthesizedTemplates } from '../support/synth-cache.js';
import { fullConfig, iamStatements, templateApp } from './synth.js';

// Issue 11, points 1, 2, 8 and 9 (bake time): what a deployment may and may not do to a running service,
// proved on the synthesized templates. stacks.test.ts runs cdk-nag and Control Tower on the same configuration.

// the full configuration, synthesized once per change of the sources and shared (test/support/synth-cache.ts)
let app: SynthesizedTemplates;
beforeAll(() => {
  app = loadTemplates('full');
}, 900_000);

const json = (stack: StackRef): any => app.template(stack).toJSON();
const resourcesOf = (stack: StackRef, type: string): [string, any][] =>
  Object.entries(json(stack).Resources).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];
const PLACEHOLDER = fullConfig().service.initialImage;

describe('production never rolls back to the placeholder image (point 1)', () => {
  it.each(['staging', 'production'] as const)(
    "registers %s's task definition with the image the pipeline last deployed, read at deploy time",
    (env) => {
      // How "once deployed" is guaranteed: the template holds no image, only a reference to a template
      // parameter of type AWS::SSM::Parameter::Value<String>, which CloudFormation resolves on *every* stack
      // deployment. The parameter names /<system>/<env>/deployed-image, which the application pipeline
      // overwrites after each deployment; the placeholder is only its first value (next test). So whatever
      // an infrastructure change re-registers (cpu, memory, a CDK upgrade) carries the running image.
      const stack = app.stacks[env];
      const template = json(stack);
      const [[, task]] = resourcesOf(stack, 'AWS::ECS::TaskDefinition');
      const image = task.Properties.ContainerDefinitions[0].Image;
      expect(Object.keys(image)).toEqual(['Ref']);
      expect(template.Parameters[image.Ref]).toEqual({
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: deployedImageParameterName('pipewarden', env),
      });
      // And the placeholder appears nowhere in the stack: no property, output or parameter default names it.
      expect(JSON.stringify(template)).not.toContain(PLACEHOLDER);
    },
  );

  it('creates each deployed-image parameter once and never writes it again: CloudFormation does not own it', () => {
    const storage = app.stacks.storage;
    // A parameter resource would be reset to the placeholder whenever its template value changed.
    expect(resourcesOf(storage, 'AWS::SSM::Parameter')).toEqual([]);
    const calls = resourcesOf(storage, 'Custom::AWS')
      .map(([, r]) => r.Properties)
      .filter((p) => JSON.stringify(p.Create).includes('deployed-image'));
    expect(calls).toHaveLength(2);
    for (const props of calls) {
      for (const phase of ['Create', 'Update']) {
        const call = JSON.parse(props[phase]);
        expect(call).toMatchObject({
          service: 'SSM',
          action: 'putParameter',
          parameters: { Value: PLACEHOLDER, Overwrite: false },
          ignoreErrorCodesMatching: 'ParameterAlreadyExists',
        });
      }
      // Never deleted: the record outlives the stack.
      expect(props.Delete).toBeUndefined();
    }
    expect(calls.map((p) => JSON.parse(p.Create).parameters.Name).sort()).toEqual([
      '/pipewarden/production/deployed-image',
      '/pipewarden/staging/deployed-image',
    ]);
  });

  it("gives the recorder the right to write its environment's parameter and nothing else", () => {
    const stack = new Stack(templateApp(), 'Record', {
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    const bucket = new s3.Bucket(stack, 'Bucket');
    new DeployedImageRecorder(stack, 'Record', {
      system: 'pipewarden',
      environment: 'production',
      key: new kms.Key(stack, 'Key'),
      artifactBucket: bucket,
      cacheBucket: bucket,
      logRetention: logs.RetentionDays.ONE_YEAR,
    });
    const ssm = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('ssm:')));
    expect(ssm.map((st: any) => ({ ...st, Resource: flatten(st.Resource) }))).toEqual([
      {
        Effect: 'Allow',
        Action: 'ssm:PutParameter',
        Resource:
          'arn:<AWS::Partition>:ssm:eu-west-1:111111111111:parameter/pipewarden/production/deployed-image',
      },
    ]);
  });

  it('records the one image of imagedefinitions.json, and refuses anything else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-record-'));
    // A stand-in for the AWS CLI that logs its arguments.
    writeFileSync(join(dir, 'aws'), '#!/bin/bash\necho "$@" >> "$AWS_LOG"\n');
    chmodSync(join(dir, 'aws'), 0o755);
    const script = JSON.parse(
      new Stack().resolve(recordImageBuildspec().toBuildSpec()),
    ).phases.build.commands.join('\n');
    const run = (definitions: unknown) => {
      writeFileSync(join(dir, 'imagedefinitions.json'), JSON.stringify(definitions));
      writeFileSync(join(dir, 'aws.log'), '');
      const result = spawnSync('bash', ['-c', script], {
        cwd: dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH}`,
          AWS_LOG: join(dir, 'aws.log'),
          PIPEWARDEN_IMAGE_PARAMETER: '/pipewarden/production/deployed-image',
        },
      });
      return {
        status: result.status,
        stdout: result.stdout,
        aws: readFileSync(join(dir, 'aws.log'), 'utf8'),
      };
    };
    const image = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/pipewarden/example-service:0123abc';
    const ok = run([{ name: 'app', imageUri: image }]);
    expect(ok.status).toBe(0);
    expect(ok.aws).toBe(
      `ssm put-parameter --name /pipewarden/production/deployed-image --value ${image} --type String --overwrite\n`,
    );
    for (const bad of [[], [{ name: 'app' }], [{ imageUri: image }, { imageUri: image }]]) {
      const refused = run(bad);
      expect(refused.status).not.toBe(0);
      expect(refused.aws).toBe('');
      expect(refused.stdout).toContain('pipewarden: imagedefinitions.json must name exactly one image');
    }
  });

  it('leaves the blue/green listener rules to ECS: no rule or weight in the production template', () => {
    const stack = app.stacks.production;
    // A CloudFormation rule would write blue 100 / green 0 back over ECS's weights on any rule update.
    expect(resourcesOf(stack, 'AWS::ElasticLoadBalancingV2::ListenerRule')).toEqual([]);
    const rules = resourcesOf(stack, 'Custom::AWS').filter(([, r]) =>
      String(JSON.stringify(r.Properties.Create)).includes('createRule'),
    );
    expect(rules).toHaveLength(2);
    for (const [, rule] of rules) {
      // Created once with all traffic on blue, deleted with the stack, and never updated.
      expect(rule.Properties.Update).toBeUndefined();
      expect(JSON.stringify(rule.Properties.Delete)).toContain('deleteRule');
      const create = JSON.parse(flatten(rule.Properties.Create));
      // Not the retired CloudFormation rules' priority (10): an existing stack creates these before deleting those.
      expect(create.parameters.Priority).toBe(20);
      expect(create.parameters.Actions[0].ForwardConfig.TargetGroups).toEqual([
        { TargetGroupArn: '<Blue10BB7880>', Weight: 100 },
        { TargetGroupArn: '<Green9DCBBC03>', Weight: 0 },
      ]);
    }
    // ECS's blue/green configuration names exactly those two rules.
    const [[, service]] = resourcesOf(stack, 'AWS::ECS::Service');
    const advanced = service.Properties.LoadBalancers[0].AdvancedConfiguration;
    const ruleIds = rules.map(([id]) => id).sort();
    expect(
      [advanced.ProductionListenerRule, advanced.TestListenerRule].map((v: any) => v['Fn::GetAtt'][0]).sort(),
    ).toEqual(ruleIds);
  });

  it('keeps staging on one CloudFormation rule: a rolling deployment moves no weights', () => {
    const rules = resourcesOf(app.stacks.staging, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules).toHaveLength(1);
    expect(rules[0][1].Properties.Actions[0].Type).toBe('forward');
  });
});

describe('ECR lifecycle never expires a deployable image (point 2)', () => {
  it('selects only untagged and branch-* images in the production repository, never by a count over all', () => {
    const [[, repo]] = resourcesOf(app.stacks.storage, 'AWS::ECR::Repository').filter(
      ([, r]) => r.Properties.RepositoryName === 'pipewarden/example-service',
    );
    const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
    expect(rules.map((r: any) => r.selection)).toEqual([
      { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 7, countUnit: 'days' },
      { tagStatus: 'tagged', tagPrefixList: ['branch-'], countType: 'imageCountMoreThan', countNumber: 10 },
    ]);
    // A commit tag (hex) never starts with branch-: no rule can select an image only a commit tag names.
    for (const rule of rules) expect(rule.selection.tagStatus).not.toBe('any');
  });

  it('refuses the old retention.maxImages with the fix', () => {
    const raw = baseConfig();
    raw.retention = { maxImages: 200 };
    expect(() => parseConfig(raw, 'cfg.json')).toThrow(
      /retention\.maxImages is no longer accepted.*maxBranchImages/,
    );
  });
});

describe('production rollback alarms and staging smoke test (point 8)', () => {
  it("watches the service's own blue and green target groups, never the whole load balancer", () => {
    const alarms = resourcesOf(app.stacks.production, 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([, a]) => a.Properties.AlarmName).sort()).toEqual([
      'pipewarden-production-target-5xx',
      'pipewarden-production-unhealthy-targets',
    ]);
    const targetGroupIds = resourcesOf(app.stacks.production, 'AWS::ElasticLoadBalancingV2::TargetGroup')
      .map(([id]) => id)
      .sort();
    for (const [, alarm] of alarms) {
      const metrics = alarm.Properties.Metrics.filter((m: any) => m.MetricStat);
      expect(metrics).toHaveLength(2);
      const groups = metrics.map((m: any) => {
        const dims = Object.fromEntries(m.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));
        expect(Object.keys(dims).sort()).toEqual(['LoadBalancer', 'TargetGroup']);
        return dims.TargetGroup['Fn::GetAtt'][0];
      });
      expect(groups.sort()).toEqual(targetGroupIds);
    }
    // The service rolls back on exactly these alarms.
    app.template(app.stacks.production).hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          AlarmNames: ['pipewarden-production-target-5xx', 'pipewarden-production-unhealthy-targets'],
          Enable: true,
          Rollback: true,
        },
      }),
    });
  });

  it('takes thresholds, evaluation period and an optional p99 latency alarm from the config', () => {
    // The full configuration with production's alarms set: 5xx 20 a minute, 2 unhealthy targets, p99 latency
    // 1.5 s, over 3 minutes (alarms of test/infra/variants.ts, from the synth cache, without the rule packs).
    const custom = loadTemplates('alarms');
    const prod = custom.template(custom.stacks.production);
    // Why: each threshold is the operator's, not a constant of this code.
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'pipewarden-production-target-5xx',
      Threshold: 20,
      EvaluationPeriods: 3,
    });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'pipewarden-production-unhealthy-targets',
      Threshold: 2,
    });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'pipewarden-production-p99-latency',
      Threshold: 1.5,
    });
    prod.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: Match.objectLike({ AlarmNames: Match.arrayWith(['pipewarden-production-p99-latency']) }),
      }),
    });
  }, 900_000); // the first file to ask may wait for the synth child

  it('builds the smoke test project with the platform buildspec inline and the URLs to check', () => {
    const stack = new Stack(templateApp(), 'Smoke');
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket');
    new SmokeTest(stack, 'Smoke', {
      projectName: 'pipewarden-staging-smoke-test',
      baseUrl: 'http://staging.example',
      healthCheckPath: '/health',
      paths: ['/api/status'],
      attempts: 3,
      key,
      artifactBucket: bucket,
      cacheBucket: bucket,
      logRetention: logs.RetentionDays.ONE_YEAR,
      timeout: Duration.minutes(10),
    });
    // Why: the buildspec is inline (the source artifact is never executed) and checks the health path first.
    Template.fromStack(stack).hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'pipewarden-staging-smoke-test',
      Source: { Type: 'CODEPIPELINE', BuildSpec: Match.stringLikeRegexp('pipewarden smoke test') },
      Environment: Match.objectLike({
        PrivilegedMode: false,
        EnvironmentVariables: Match.arrayWith([
          {
            Name: 'PIPEWARDEN_SMOKE_URLS',
            Type: 'PLAINTEXT',
            Value: 'http://staging.example/health\nhttp://staging.example/api/status',
          },
          { Name: 'PIPEWARDEN_SMOKE_ATTEMPTS', Type: 'PLAINTEXT', Value: '3' },
        ]),
      }),
    });
  });

  describe('the smoke test buildspec, run', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/moved') {
          res.writeHead(301, { location: '/ok' }).end();
          return;
        }
        if (req.url === '/loop') {
          res.writeHead(302, { location: '/loop' }).end();
          return;
        }
        res.statusCode = req.url === '/health' || req.url === '/ok' ? 200 : 503;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const script = (): string => {
      const spec = new Stack().resolve(smokeTestBuildspec().toBuildSpec());
      return JSON.parse(spec).phases.build.commands.join('\n');
    };
    // Asynchronous: the server answering the script runs in this process.
    const run = (urls: string[]) =>
      new Promise<{ status: number; stdout: string }>((resolve) => {
        execFile(
          'bash',
          ['-c', script()],
          { env: { ...process.env, PIPEWARDEN_SMOKE_URLS: urls.join('\n'), PIPEWARDEN_SMOKE_ATTEMPTS: '1' } },
          (error, stdout) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout }),
        );
      });

    it('passes when every URL answers 2xx, following a redirect (HTTP to HTTPS)', async () => {
      const result = await run([`${base}/health`, `${base}/ok`, `${base}/moved`]);
      expect(result.stdout).toContain(`${base}/moved OK (200)`);
      expect(result.stdout).toContain(`${base}/ok OK (200)`);
      expect(result.status).toBe(0);
    });

    it('fails the action when one URL answers an error, or nothing answers', async () => {
      const result = await run([`${base}/health`, `${base}/broken`]);
      expect(result.stdout).toContain(`${base}/broken failed (503)`);
      expect(result.status).not.toBe(0);
      // A redirect is no answer: one that never ends fails too.
      const loop = await run([`${base}/loop`]);
      expect(loop.status).not.toBe(0);
      const down = await run(['http://127.0.0.1:1/health']);
      expect(down.stdout).toContain('failed (000)');
      expect(down.status).not.toBe(0);
    });
  });

  it('validates environments.staging.smokeTest', () => {
    const raw = baseConfig();
    raw.environments.staging = { smokeTest: { paths: ['api/status'] } };
    expect(() => parseConfig(raw, 'cfg.json')).toThrow(
      /"environments\.staging\.smokeTest\.paths\[0\]": expected a path starting with \//,
    );
    const ok = baseConfig();
    ok.environments.staging = { smokeTest: { paths: ['/api/status?full=1'] } };
    expect(parseConfig(ok, 'cfg.json').environments.staging.smokeTest).toEqual({
      paths: ['/api/status?full=1'],
      attempts: 6,
    });
  });
});

describe('bake time fits the deploy action (point 9)', () => {
  it('refuses a bake time the 60-minute deploy action cannot wait for, naming the limit', () => {
    const raw = baseConfig();
    raw.environments.production = { bakeTimeMinutes: 46 };
    expect(() => parseConfig(raw, 'cfg.json')).toThrow(
      /environments\.production\.bakeTimeMinutes.*at most 45: the deploy action waits 60 minutes/,
    );
    raw.environments.production = { bakeTimeMinutes: 45 };
    expect(parseConfig(raw, 'cfg.json').environments.production.bakeTimeMinutes).toBe(45);
  });
});

/** A template value with Fn::Join flattened and references written <logicalId>. */
function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  if (value?.Ref) return `<${value.Ref}>`;
  if (value?.['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(value);
}

function baseConfig(): any {
  return {
    aws: { region: 'us-east-1' },
    repository: { owner: 'o', name: 'r' },
    connection: { arn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc' },
    environments: { staging: {}, production: {} },
    vpc: {
      cidr: '10.0.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'],
    },
  };
}

describe('the infrastructure pipeline can deploy the stacks that read the deployed image', () => {
  it('lets its deploy role read both deployed-image parameters, which CloudFormation resolves as the caller', () => {
    // Without it every staging or production stack update fails on its SSM-typed image parameter.
    const statements = iamStatements(app.template(app.stacks.infrastructure!)).filter((s) =>
      s.Action.includes('ssm:GetParameters'),
    );
    const resources = JSON.stringify(statements.flatMap((s) => s.Resource));
    for (const env of ['staging', 'production'] as const)
      expect(resources).toContain(`:parameter${deployedImageParameterName(fullConfig().name, env)}`);
  });
});
