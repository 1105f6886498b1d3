/* eslint-disable @typescript-eslint/no-explicit-any -- the tests mutate raw JSON configurations freely */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { contains, overlaps, parseCidr } from '../../infra/config/cidr.js';
import { loadConfig, parseConfig } from '../../infra/config/load-config.js';

const examplePath = join(import.meta.dirname, '..', '..', 'pipewarden.config.example.json');
const example = () => JSON.parse(readFileSync(examplePath, 'utf8')) as Record<string, any>;

/** The error a config with one change produces. */
function errorFor(change: (c: Record<string, any>) => void): string {
  const config = example();
  change(config);
  try {
    parseConfig(config, 'cfg.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('infrastructure config', () => {
  it('accepts the committed example and fills the defaults', () => {
    const config = loadConfig(examplePath);
    expect(config.repository).toEqual({ owner: 'example-org', name: 'example-service', mainBranch: 'main' });
    expect(config.pipelines.main.executionMode).toBe('SUPERSEDED');
    expect(config.pipelines.feature.executionMode).toBe('PARALLEL');
    expect(config.pipelines.feature.pullRequests).toEqual({
      enabled: false,
      into: ['main'],
      events: ['OPEN', 'UPDATED'],
    });
    expect(config.build.testBuildspec).toBe('buildspec.yml');
    expect(config.environments.staging.allowedCidrs).toEqual(['0.0.0.0/0']);
  });

  it('takes Docker Hub as the pull-through upstream only with an ecr-pullthroughcache/ secret, ECR Public without', () => {
    expect(errorFor((c) => (c.build = { pullThroughCache: { upstream: 'docker-hub' } }))).toMatch(
      /build\.pullThroughCache\.credentialSecretArn.*Docker Hub needs credentials/,
    );
    const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}-AbCdEf`;
    expect(
      errorFor(
        (c) =>
          (c.build = { pullThroughCache: { upstream: 'docker-hub', credentialSecretArn: arn('dockerhub') } }),
      ),
    ).toMatch(/named ecr-pullthroughcache\/<name>/);
    expect(
      errorFor(
        (c) => (c.build = { pullThroughCache: { credentialSecretArn: arn('ecr-pullthroughcache/x') } }),
      ),
    ).toMatch(/ECR Public takes no credentials/);
    const raw = example();
    raw.build = {
      pullThroughCache: { upstream: 'docker-hub', credentialSecretArn: arn('ecr-pullthroughcache/hub') },
    };
    expect(parseConfig(raw, 'cfg.json').build.pullThroughCache.prefix).toBe('docker-hub');
    expect(loadConfig(examplePath).build.pullThroughCache).toEqual({
      upstream: 'ecr-public',
      prefix: 'ecr-public',
    });
  });

  it('fills every default from the minimum a user must write', () => {
    const config = parseConfig(
      {
        aws: { region: 'us-east-1' },
        repository: { owner: 'o', name: 'r' },
        connection: { arn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc' },
        environments: { staging: {}, production: {} },
        vpc: {
          cidr: '10.0.0.0/16',
          availabilityZones: ['us-east-1a', 'us-east-1b'],
          publicSubnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'],
        },
      },
      'min.json',
    );
    expect(config.name).toBe('pipewarden');
    expect(config.pipelines.feature.branches).toEqual({ includes: ['feature/**'], excludes: [] });
    expect(config.pipelines.infrastructure.filePaths).toContain('infra/**');
    expect(config.service.user).toBe('1000');
    expect(config.retention.logsDays).toBe(365);
    expect(config.bot.reservedConcurrency).toBe(10);
  });

  // Each wrong config is one line naming the field and what it accepts.
  it.each([
    [
      'a bot concurrency of zero',
      (c: any) => (c.bot = { reservedConcurrency: 0 }),
      'invalid field "bot.reservedConcurrency"',
    ],
    [
      'a misspelt key',
      (c: any) => (c.service.containerport = 80),
      'invalid field "service": unknown key(s) containerport',
    ],
    [
      'an execution mode main cannot use',
      (c: any) => (c.pipelines.main.executionMode = 'PARALLEL'),
      'invalid field "pipelines.main.executionMode"',
    ],
    [
      'overlapping subnets',
      (c: any) => (c.vpc.publicSubnetCidrs[1] = '10.40.0.128/25'),
      'invalid field "vpc.publicSubnetCidrs[1]": 10.40.0.128/25 overlaps 10.40.0.0/24',
    ],
    [
      'a subnet outside the VPC',
      (c: any) => (c.vpc.publicSubnetCidrs[0] = '10.41.0.0/24'),
      'is outside the VPC CIDR 10.40.0.0/16',
    ],
    [
      'host bits in a CIDR',
      (c: any) => (c.vpc.cidr = '10.40.0.1/16'),
      'invalid field "vpc.cidr": expected an IPv4 CIDR block',
    ],
    [
      'a CIDR count that is not one per AZ',
      (c: any) => c.vpc.publicSubnetCidrs.pop(),
      'give exactly one CIDR per availability zone (2), got 1',
    ],
    [
      'an AZ of another region',
      (c: any) => (c.vpc.availabilityZones[1] = 'us-east-1b'),
      'us-east-1b is not in region eu-west-1',
    ],
    [
      'private subnets without NAT',
      (c: any) => (c.vpc.privateSubnetCidrs = ['10.40.2.0/24', '10.40.3.0/24']),
      'invalid field "vpc.natGateways": private subnets need at least 1 NAT gateway',
    ],
    [
      'a bad e-mail',
      (c: any) => (c.notifications.emails = ['ops']),
      'invalid field "notifications.emails[0]": expected an e-mail address',
    ],
    [
      'more than 8 branch patterns',
      (c: any) => (c.pipelines.feature.branches.includes = Array(9).fill('f/*')),
      'at most 8 patterns',
    ],
    [
      'a connection neither given nor created',
      (c: any) => (c.connection = {}),
      'invalid field "connection": expected {"arn": ',
    ],
    ['log retention under a year', (c: any) => (c.retention.logsDays = 90), 'CT.CLOUDWATCH.PR.2'],
    [
      'a root container user',
      (c: any) => (c.service.user = '0'),
      'invalid field "service.user": expected a non-root uid',
    ],
    [
      'the test listener on the production port',
      (c: any) => (c.environments.production.testListenerPort = 80),
      'invalid field "environments.production.testListenerPort": must differ',
    ],
    [
      'a test buildspec outside the repository',
      (c: any) => (c.build.testBuildspec = '../platform/buildspec.yml'),
      'invalid field "build.testBuildspec": expected a path inside the repository',
    ],
    [
      'the main Snyk token as the CI one',
      (c: any) =>
        (c.snyk = {
          tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf',
          ciTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf',
        }),
      'invalid field "snyk.ciTokenSecretArn": must differ from snyk.tokenSecretArn',
    ],
  ])('rejects %s', (_what, change, expected) => {
    const message = errorFor(change);
    expect(message).toContain(expected);
    expect(message.startsWith('pipewarden: cfg.json: ')).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('lists every problem of a config in one line, not only the first', () => {
    const message = errorFor((c) => {
      c.service.containerPort = 'http';
      c.environments.production.bakeTimeMinutes = 1000;
      c.unknownKey = true;
    });
    expect(message).toMatch(/^pipewarden: cfg\.json: 3 problems: /);
    expect(message).toContain('"service.containerPort"');
    expect(message).toContain('"environments.production.bakeTimeMinutes"');
    expect(message).toContain('unknownKey');
    expect(message).not.toContain('\n');
  });

  it('reports an unreadable file and invalid JSON with the file name and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-infra-'));
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(
      /missing\.json: cannot read the configuration .*PIPEWARDEN_CONFIG/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    expect(() => loadConfig(broken)).toThrow(/broken\.json: not valid JSON .*fix the syntax/);
  });
});

describe('CIDR arithmetic', () => {
  it('parses blocks and rejects host bits or out-of-range parts', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ start: 10 * 2 ** 24, prefix: 8 });
    expect(parseCidr('10.0.0.0/8')?.end).toBe(11 * 2 ** 24 - 1);
    expect(parseCidr('10.0.0.1/24')).toBeUndefined();
    expect(parseCidr('256.0.0.0/8')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('tells containment from overlap', () => {
    const vpc = parseCidr('10.0.0.0/16')!;
    const a = parseCidr('10.0.1.0/24')!;
    const b = parseCidr('10.0.1.128/25')!;
    const c = parseCidr('10.0.2.0/24')!;
    expect(contains(vpc, a)).toBe(true);
    expect(contains(a, vpc)).toBe(false);
    expect(overlaps(a, b)).toBe(true);
    expect(overlaps(a, c)).toBe(false);
  });
});
