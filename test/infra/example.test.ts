import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import {
  loadTemplates,
  namedStacks,
  type StackRef,
  type SynthesizedTemplates,
} from '../support/synth-cache.js';

// The committed example is what `npm run synth` and `npm run demo` build for a new user: it must pass
// every check too, on its own branches (a connection to create, tasks in public subnets, plain HTTP).
// Synthesized with every check once per change of the sources, shared with the other infra tests.
let app: SynthesizedTemplates;
beforeAll(() => {
  app = loadTemplates('example');
}, 900_000); // generous: the Control Tower rules take most of it, and CI machines are shared

describe('the example configuration', () => {
  it('synthesizes eight stacks with zero cdk-nag and Control Tower violations', () => {
    expect(app.violations()).toEqual([]);
    expect(app.assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      'pipewarden-bot',
      'pipewarden-infrastructure-pipeline',
      'pipewarden-network',
      'pipewarden-notifications',
      'pipewarden-pipelines',
      'pipewarden-production',
      'pipewarden-staging',
      'pipewarden-storage',
    ]);
  });

  it('needs no account: every stack is bound to the region only', () => {
    for (const stack of app.assembly.stacks) {
      expect(stack.environment).toMatchObject({ account: 'unknown-account', region: 'eu-west-1' });
    }
  });

  it('creates the GitHub connection, left pending until the console handshake', () => {
    app.template(app.stacks.storage).hasResource('AWS::CodeConnections::Connection', {
      Properties: { ConnectionName: 'pipewarden-github', ProviderType: 'GitHub' },
      DeletionPolicy: 'Retain',
    });
  });

  it('keeps the seed’s no-NAT layout: tasks in public subnets, reachable only from their load balancer', () => {
    const production = app.template(app.stacks.production);
    production.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
    production.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 8080,
      SourceSecurityGroupId: Match.anyValue(),
    });
    app.template(app.stacks.network!).resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('serves plain HTTP without a certificate, the test listener open to no one', () => {
    const production = app.template(app.stacks.production);
    production.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP' }, 2);
    production.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80 })],
    });
  });

  it('builds the service from its own repository and the platform from another', () => {
    // The service repository holds its tests, Dockerfile and policy only; infra/, buildspecs/ and dist/ live in
    // the platform repository, which only the infrastructure pipeline reads (docs/security-model.md).
    const repositoryOf = (template: ReturnType<SynthesizedTemplates['template']>, name: string) => {
      const pipelines = Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as {
        Properties: {
          Name: string;
          Stages: { Name: string; Actions: { Configuration: Record<string, string> }[] }[];
        };
      }[];
      const pipeline = pipelines.find((p) => p.Properties.Name === name)!;
      const source = pipeline.Properties.Stages.find((s) => s.Name === 'Source')!.Actions[0]!.Configuration;
      return `${source.FullRepositoryId}@${source.BranchName}`;
    };
    const pipelines = app.template(app.stacks.pipelines);
    expect(repositoryOf(pipelines, 'pipewarden-main')).toBe('example-org/example-service@main');
    expect(repositoryOf(pipelines, 'pipewarden-feature')).toBe('example-org/example-service@main');
    const infrastructure = app.template(app.stacks.infrastructure!);
    expect(repositoryOf(infrastructure, 'pipewarden-infrastructure')).toBe(
      'example-org/pipewarden-platform@main',
    );
    infrastructure.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'pipewarden-infra-synth',
      Environment: Match.objectLike({
        EnvironmentVariables: Match.arrayWith([
          { Name: 'PIPEWARDEN_REPO', Type: 'PLAINTEXT', Value: 'example-org/pipewarden-platform' },
        ]),
      }),
    });
  });
});

describe('docs/deploy.md resource counts (issue 15, point 8)', () => {
  // The table's counts are read from the templates, not written by hand: this test fails when a stack
  // gains or loses a resource until the table says so.
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const count = (a: SynthesizedTemplates, stack: StackRef) =>
    Object.keys(a.template(stack).toJSON().Resources ?? {}).length;

  it('states each stack’s resources and the total for the example config', () => {
    const documented = new Map(
      [...doc.matchAll(/^\| `(pipewarden-[a-z-]+)`[^|]*\|[^|]*\|\s*(\d+)\s*\|$/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    const actual = new Map(app.assembly.stacks.map((s) => [s.stackName, 0]));
    for (const stack of namedStacks(app.stacks)) actual.set(stack.stackName, count(app, stack));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(actual));
    const total = [...actual.values()].reduce((a, b) => a + b, 0);
    expect(doc).toContain(`with the committed example config (${total} resources in all)`);
  });

  it('states the stacks and resources with every option on', () => {
    const full = loadTemplates('full');
    const stacks = namedStacks(full.stacks);
    const total = stacks.reduce((n, s) => n + count(full, s), 0);
    expect(doc).toContain(`the app has ${stacks.length} stacks\nand ${total} resources`);
  });
});
