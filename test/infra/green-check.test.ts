/* eslint-disable @typescript-eslint/no-explicit-any -- templates are walked as raw JSON */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import {
  checkGreen,
  checkUrls,
  probeHandler,
  testUrls,
  type HookClients,
  type ProbeEvent,
} from '../../infra/lambda/green-check.js';
import { loadTemplates, type SynthesizedTemplates } from '../support/synth-cache.js';
import { fullConfig } from './synth.js';

// Issue 11, point 8 (production side): green is checked through the test listener before production traffic
// moves. The handler's decisions run against a real local HTTP server; the wiring is proved on the template.

let server: Server;
let base: string;
let hits: Record<string, number>;
beforeAll(async () => {
  hits = {};
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits[path] = (hits[path] ?? 0) + 1;
    if (path === '/health') return res.writeHead(200).end('ok');
    if (path === '/moved') return res.writeHead(302, { location: 'http://elsewhere.invalid/' }).end();
    if (path === '/flaky') return res.writeHead(hits[path] < 3 ? 503 : 200).end();
    if (path === '/slow') return void setTimeout(() => res.writeHead(200).end(), 2_000);
    res.writeHead(path === '/broken' ? 500 : 404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const quick = { attempts: 3, retryMs: 10, timeoutMs: 500 };

describe('the check through the test listener (handler logic, real HTTP)', () => {
  it('passes 2xx and 3xx (a redirect is not followed off the test port), fails 5xx and 404', async () => {
    const results = await checkUrls(
      ['/health', '/moved', '/broken', '/missing'].map((p) => base + p),
      quick,
    );
    expect(results.map((r) => [new URL(r.url).pathname, r.status, r.ok])).toEqual([
      ['/health', 200, true],
      ['/moved', 302, true],
      ['/broken', 500, false],
      ['/missing', 404, false],
    ]);
  });

  it('retries a failing URL and passes when it recovers within the tries', async () => {
    const [result] = await checkUrls([`${base}/flaky`], quick);
    expect(result).toMatchObject({ status: 200, ok: true });
    expect(hits['/flaky']).toBe(3);
  });

  it('fails a URL that does not answer within the timeout, or refuses the connection', async () => {
    const [slow, refused] = await checkUrls([`${base}/slow`, 'http://127.0.0.1:1/health'], {
      ...quick,
      attempts: 1,
    });
    expect(slow).toMatchObject({ ok: false, error: 'no answer within 500 ms' });
    expect(slow.status).toBeUndefined();
    expect(refused).toMatchObject({ ok: false });
    expect(refused.status).toBeUndefined();
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });

  it('the probe function refuses an event without URLs, naming the field', async () => {
    await expect(probeHandler({ urls: [], ...quick })).rejects.toThrow(/urls/);
  });

  const env = (port: number) => ({
    PIPEWARDEN_LOAD_BALANCER: 'app/pipewarden-production/0123456789abcdef',
    PIPEWARDEN_VPC_ID: 'vpc-0abc',
    PIPEWARDEN_PROBE_FUNCTION: 'probe',
    PIPEWARDEN_TEST_SCHEME: 'http',
    PIPEWARDEN_TEST_PORT: String(port),
    PIPEWARDEN_PATHS: '/health\n/moved',
    PIPEWARDEN_ATTEMPTS: '2',
    PIPEWARDEN_RETRY_MS: '10',
    PIPEWARDEN_TIMEOUT_MS: '500',
  });
  // The probe as the in-VPC function runs it, for real, against the local server.
  const clients = (addresses: string[]): HookClients & { calls: ProbeEvent[] } => {
    const calls: ProbeEvent[] = [];
    return {
      calls,
      loadBalancerAddresses: async () => addresses,
      probe: async (_name, event) => {
        calls.push(event);
        return probeHandler(event);
      },
    };
  };

  it('answers SUCCEEDED when every path answers through every load-balancer address', async () => {
    const port = Number(new URL(base).port);
    const c = clients(['127.0.0.1', 'localhost']);
    await expect(checkGreen(env(port), c)).resolves.toEqual({ hookStatus: 'SUCCEEDED' });
    expect(c.calls[0].urls).toEqual(
      testUrls('http', ['127.0.0.1', 'localhost'], port, ['/health', '/moved']),
    );
  });

  it('answers FAILED (ECS rolls back) when one path fails', async () => {
    const port = Number(new URL(base).port);
    const e = { ...env(port), PIPEWARDEN_PATHS: '/health\n/broken' };
    await expect(checkGreen(e, clients(['127.0.0.1']))).resolves.toEqual({ hookStatus: 'FAILED' });
  });

  it('answers FAILED when nothing listens on the test port, no address is found, or the settings are wrong', async () => {
    await expect(checkGreen(env(1), clients(['127.0.0.1']))).resolves.toEqual({ hookStatus: 'FAILED' });
    const port = Number(new URL(base).port);
    await expect(checkGreen(env(port), clients([]))).resolves.toEqual({ hookStatus: 'FAILED' });
    const { PIPEWARDEN_VPC_ID: _, ...missing } = env(port);
    const c = clients(['127.0.0.1']);
    await expect(checkGreen(missing, c)).resolves.toEqual({ hookStatus: 'FAILED' });
    expect(c.calls).toEqual([]);
  });

  it('names every wrong setting in one line, in the words of every other config, before rolling back', async () => {
    const logged: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));
    try {
      const { PIPEWARDEN_VPC_ID: _, ...missing } = env(Number(new URL(base).port));
      const wrong = { ...missing, PIPEWARDEN_ATTEMPTS: 'zero' };
      await expect(checkGreen(wrong, clients(['127.0.0.1']))).resolves.toEqual({ hookStatus: 'FAILED' });
    } finally {
      log.mockRestore();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(
      /^pipewarden green check: 2 problems: invalid field "PIPEWARDEN_VPC_ID": is required .*; invalid field "PIPEWARDEN_ATTEMPTS": .*; rolling back$/,
    );
  });
});

describe('the lifecycle hook on the production service (template)', () => {
  // the full configuration, synthesized once per change of the sources and shared (test/support/synth-cache.ts)
  let app: SynthesizedTemplates;
  beforeAll(() => {
    app = loadTemplates('full');
  }, 900_000);
  const resources = (type: string): [string, any][] =>
    Object.entries(app.template(app.stacks.production).toJSON().Resources).filter(
      ([, r]: [string, any]) => r.Type === type,
    ) as [string, any][];
  const logical = (type: string, match: (r: any) => boolean): string => {
    const found = resources(type).filter(([, r]) => match(r));
    expect(found).toHaveLength(1);
    return found[0][0];
  };
  const hookId = () => logical('AWS::Lambda::Function', (r) => r.Properties.Handler === 'index.hookHandler');
  const probeId = () =>
    logical('AWS::Lambda::Function', (r) => r.Properties.Handler === 'index.probeHandler');

  it('runs the hook at POST_TEST_TRAFFIC_SHIFT, with a role ECS assumes', () => {
    // ECS invokes the hook once green serves the test listener and before any production traffic moves.
    const [[, service]] = resources('AWS::ECS::Service');
    expect(service.Properties.DeploymentConfiguration.LifecycleHooks).toEqual([
      {
        HookTargetArn: { 'Fn::GetAtt': [hookId(), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^GreenCheckInvokeRole/), 'Arn'] },
        LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
      },
    ]);
  });

  it("gives ECS's role exactly lambda:InvokeFunction on the hook, nothing else", () => {
    const [[roleId, role]] = resources('AWS::IAM::Role').filter(([id]) =>
      id.startsWith('GreenCheckInvokeRole'),
    );
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } },
    ]);
    const policies = resources('AWS::IAM::Policy').filter(([, p]) =>
      p.Properties.Roles.some((r: any) => r.Ref === roleId),
    );
    expect(policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement)).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [hookId(), 'Arn'] } },
    ]);
  });

  it('runs the probe in the VPC, reaching only the test listener port through a security-group rule', () => {
    // The load balancer is internet-facing: its private addresses are reached from inside the VPC.
    const probe = resources('AWS::Lambda::Function').find(([id]) => id === probeId())![1];
    const [groupRef] = probe.Properties.VpcConfig.SecurityGroupIds;
    const groupId = groupRef['Fn::GetAtt'][0];
    const port = fullConfig().environments.production.testListenerPort;
    app.template(app.stacks.production).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: port,
      SourceSecurityGroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] },
    });
    const group = resources('AWS::EC2::SecurityGroup').find(([id]) => id === groupId)![1];
    // Its only egress: the test port of the load balancer's group (no internet, no AWS API).
    const egress = [
      ...(group.Properties.SecurityGroupEgress ?? []),
      ...resources('AWS::EC2::SecurityGroupEgress')
        .map(([, r]) => r.Properties)
        .filter((p) => p.GroupId?.['Fn::GetAtt']?.[0] === groupId),
    ];
    expect(egress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: port,
        ToPort: port,
        DestinationSecurityGroupId: expect.anything(),
      }),
    ]);
  });

  it('the hook may only read network interfaces and invoke the probe; the probe holds no AWS right beyond its VPC attachment', () => {
    const statementsOf = (fn: string) => {
      const fnRole = resources('AWS::Lambda::Function').find(([id]) => id === fn)![1].Properties.Role[
        'Fn::GetAtt'
      ][0];
      return resources('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === fnRole))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .flatMap((s: any) => [s.Action].flat());
    };
    expect(statementsOf(hookId()).sort()).toEqual(
      [
        'ec2:DescribeNetworkInterfaces',
        'kms:Decrypt',
        'lambda:InvokeFunction',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ].sort(),
    );
    expect(
      statementsOf(probeId())
        .filter((a: string) => !a.startsWith('ec2:'))
        .sort(),
    ).toEqual(['kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort());
  });

  it('tells the hook the load balancer, the test port and the paths: the health path first', () => {
    const prod = fullConfig().environments.production;
    app.template(app.stacks.production).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.hookHandler',
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          PIPEWARDEN_TEST_SCHEME: 'https',
          PIPEWARDEN_TEST_PORT: String(prod.testListenerPort),
          PIPEWARDEN_PATHS: [fullConfig().service.healthCheckPath, ...prod.smokeTest.paths].join('\n'),
          PIPEWARDEN_LOAD_BALANCER: Match.anyValue(),
        }),
      },
    });
  });

  it('staging has no hook (rolling updates, checked by the SmokeTest action instead)', () => {
    const staging = app.template(app.stacks.staging).toJSON();
    expect(JSON.stringify(staging)).not.toContain('LifecycleHooks');
  });
});
