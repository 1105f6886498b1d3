import { beforeAll, describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { exampleConfig, synthesize, type Synthesized } from './synth.js';

// The committed example is what `npm run synth` and `npm run demo` build for a new user: it must pass
// every check too, on its own branches (a connection to create, tasks in public subnets, plain HTTP).
let app: Synthesized;
beforeAll(() => {
  app = synthesize(exampleConfig());
}, 300_000); // generous: the Control Tower rules take most of it, and CI machines are shared

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
    app.template(app.stacks.network).resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('serves plain HTTP without a certificate, the test listener open to no one', () => {
    const production = app.template(app.stacks.production);
    production.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP' }, 2);
    production.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80 })],
    });
  });
});
