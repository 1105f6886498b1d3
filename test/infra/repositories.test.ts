/* eslint-disable @typescript-eslint/no-explicit-any -- templates and raw configurations are plain JSON */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig, parseConfig } from '../../infra/config/load-config.js';
import { deriveRepositoryId } from '../../infra/config/schema.js';
import { loadTemplates, type StackRef, type SynthesizedTemplates } from '../support/synth-cache.js';

// Issue 16 point 1: one deployment, many repositories. The committed organisation example (3 repositories)
// is synthesized once per change of the sources, with the rule packs `npm run synth` registers, and shared
// with accounts.test.ts (test/support/synth-cache.ts).
const root = join(import.meta.dirname, '..', '..');
const orgPath = join(root, 'examples', 'org', 'pipewarden.config.json');
const examplePath = join(root, 'pipewarden.config.example.json');
const raw = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

function errorFor(config: Record<string, any>): string {
  try {
    parseConfig(config, 'cfg.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('repositories in the config', () => {
  it('reads the single repository as a one-entry list that keeps the unprefixed names', () => {
    const config = loadConfig(examplePath);
    expect(config.repositories).toEqual([
      {
        id: '',
        owner: 'example-org',
        name: 'example-service',
        mainBranch: 'main',
        pipelines: { main: config.pipelines.main, feature: config.pipelines.feature },
        service: config.service,
      },
    ]);
    // Written as a list, the same repository with id "" is the same configuration.
    const listed = raw(examplePath);
    listed.repositories = [{ ...listed.repository, id: '' }];
    delete listed.repository;
    expect(parseConfig(listed, 'listed.json')).toEqual(config);
  });

  it('derives an id per repository and applies its overrides in place of the defaults', () => {
    const config = loadConfig(orgPath);
    expect(config.repositories.map((r) => r.id)).toEqual(['', 'web', 'ledgerwork']);
    const [api, web, ledger] = config.repositories;
    expect(web!.service.containerPort).toBe(3000);
    expect(api!.service).toEqual(config.service);
    expect(ledger!.pipelines.main.branches.includes).toEqual(['trunk']);
    expect(ledger!.pipelines.feature.branches.includes).toEqual(['feat/**', 'fix/**']);
    expect(api!.pipelines.main).toEqual(config.pipelines.main);
    // `repository` is the first listed one: the infrastructure pipeline's source without a platformRepository.
    expect(config.repository).toEqual({ owner: 'acme-corp', name: 'payments-api', mainBranch: 'main' });
  });

  it('parses a validated configuration again to itself (tests and tools re-parse what they changed)', () => {
    for (const path of [examplePath, orgPath]) {
      const config = loadConfig(path);
      expect(parseConfig(JSON.parse(JSON.stringify(config)), 'again.json')).toEqual(config);
    }
  });

  it.each([
    ['Ledger.Worker', 'ledgerwork'],
    ['2fa-service', 'r2faservic'],
    ['API', 'api'],
  ])('derives %j → %j', (name, id) => expect(deriveRepositoryId(name)).toBe(id));

  it.each([
    [
      'both keys',
      (c: any) => (c.repositories = [{ owner: 'o', name: 'r' }]),
      'pipewarden: cfg.json: invalid field "repositories": give either repository (one) or repositories (a list), not both: move repository into the list',
    ],
    [
      'neither key',
      (c: any) => delete c.repository,
      'pipewarden: cfg.json: invalid field "repositories": name the application repositories',
    ],
    [
      'a repository listed twice',
      (c: any) => {
        c.repositories = [c.repository, { ...c.repository, owner: 'EXAMPLE-ORG' }];
        delete c.repository;
      },
      'pipewarden: cfg.json: invalid field "repositories[1]": EXAMPLE-ORG/example-service is listed twice (also repositories[0]); remove one',
    ],
    [
      'two names with the same derived id',
      (c: any) => {
        c.repositories = [
          { owner: 'o', name: 'web-app' },
          { owner: 'o', name: 'webapp' },
        ];
        delete c.repository;
      },
      'pipewarden: cfg.json: invalid field "repositories[1].id": id "webapp" is also repositories[0]\'s: set a distinct "id" on one of them',
    ],
    [
      'an id the system names use',
      (c: any) => {
        c.repositories = [{ owner: 'o', name: 'r', id: 'ci' }];
        delete c.repository;
      },
      'pipewarden: cfg.json: invalid field "repositories[0].id": is a word the system\'s own names use',
    ],
    [
      'an id with a hyphen',
      (c: any) => {
        c.repositories = [{ owner: 'o', name: 'r', id: 'a-ci' }];
        delete c.repository;
      },
      'pipewarden: cfg.json: invalid field "repositories[0].id": expected "" or 1-10 lower-case letters and digits',
    ],
  ])('refuses %s with one line naming the field and the fix', (_what, change, message) => {
    const config = raw(examplePath);
    change(config);
    const error = errorFor(config);
    // Every problem is listed (a repository twice also repeats its id): the one named here comes first.
    expect(error.replace(/^(pipewarden: cfg\.json: )\d+ problems: /, '$1').startsWith(message)).toBe(true);
    expect(error).not.toContain('\n');
  });
});

describe('the organisation example (3 repositories), synthesized', () => {
  let app: SynthesizedTemplates;
  beforeAll(() => {
    app = loadTemplates('organisation');
  }, 900_000); // three repositories' pipelines and services under every rule pack
  const stacks = () => app.assembly.stacks;
  const resources = (type: string) =>
    stacks().flatMap((s) =>
      Object.values((s.template.Resources ?? {}) as Record<string, { Type: string; Properties: any }>)
        .filter((r) => r.Type === type)
        .map((r) => ({ stack: s.stackName, props: r.Properties })),
    );

  it('has zero cdk-nag and Control Tower violations', () => {
    expect(app.violations()).toEqual([]);
  });

  it('synthesizes each repository’s environments and pipelines once, with names that do not collide', () => {
    expect(
      app.stacks.repositories.map((r) => [r.staging, r.production, r.pipelines].map((s) => s.stackName)),
    ).toEqual([
      ['acme-staging', 'acme-production', 'acme-pipelines'],
      ['acme-web-staging', 'acme-web-production', 'acme-web-pipelines'],
      ['acme-ledgerwork-staging', 'acme-ledgerwork-production', 'acme-ledgerwork-pipelines'],
    ]);
    // One of each shared stack: storage, notifications, bot, infrastructure pipeline, the artifact replica in
    // production's region (test/infra/regions.test.ts); and in each environment's own account
    // (test/infra/accounts.test.ts), its access, network and notifications stacks. No VPC or cluster in the
    // tooling account: both environments run elsewhere, and nothing else there uses one.
    expect(
      stacks()
        .map((s) => s.stackName)
        .sort(),
    ).toEqual(
      [
        'acme-storage',
        'acme-artifacts-eu-central-1',
        'acme-notifications',
        'acme-bot',
        'acme-infrastructure-pipeline',
        ...['staging', 'production'].flatMap((e) =>
          ['access', 'network', 'notifications'].map((what) => `acme-${e}-${what}`),
        ),
        ...app.stacks.repositories.flatMap((r) =>
          [r.staging, r.production, r.pipelines].map((s) => s.stackName),
        ),
      ].sort(),
    );
    expect(app.stacks.network).toBeUndefined();
    expect(
      stacks()
        .filter((s) => resources('AWS::EC2::VPC').some((r) => r.stack === s.stackName))
        .map((s) => s.environment.account)
        .sort(),
    ).toEqual(['222222222222', '333333333333']);
    const names = (type: string, key: string) => resources(type).map((r) => r.props[key]);
    for (const [type, key] of [
      ['AWS::CodePipeline::Pipeline', 'Name'],
      ['AWS::CodeBuild::Project', 'Name'],
      ['AWS::ECR::Repository', 'RepositoryName'],
      ['AWS::ECS::Service', 'ServiceName'],
      ['AWS::ECS::TaskDefinition', 'Family'],
      ['AWS::CloudWatch::Alarm', 'AlarmName'],
    ] as const) {
      const list = names(type, key).filter((n) => typeof n === 'string');
      expect(new Set(list).size).toBe(list.length);
    }
    expect(names('AWS::CodePipeline::Pipeline', 'Name').sort()).toEqual(
      [
        'acme-main',
        'acme-feature',
        'acme-web-main',
        'acme-web-feature',
        'acme-ledgerwork-main',
        'acme-ledgerwork-feature',
        'acme-infrastructure',
      ].sort(),
    );
    expect(names('AWS::ECR::Repository', 'RepositoryName').sort()).toEqual(
      [
        'acme/payments-api',
        'acme-ci/payments-api',
        'acme-web/web-frontend',
        'acme-web-ci/web-frontend',
        'acme-ledgerwork/ledger.worker',
        'acme-ledgerwork-ci/ledger.worker',
      ].sort(),
    );
  });

  // Keys the gate roles may write in the findings store, per pipelines stack: the literal tail of each
  // S3 write resource (`<owner>/<repo>/...`).
  const writtenKeys = (stack: StackRef): string[] => {
    const template = app.template(stack).toJSON();
    const out: string[] = [];
    for (const r of Object.values(template.Resources as Record<string, { Type: string; Properties: any }>)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      for (const s of [r.Properties.PolicyDocument.Statement].flat()) {
        if (![s.Action].flat().some((a: string) => a === 's3:PutObject')) continue;
        for (const res of [s.Resource].flat()) {
          const join = res?.['Fn::Join']?.[1] as unknown[] | undefined;
          const tail = join?.[join.length - 1];
          // Only the findings store's objects (the storage stack's Findings bucket), not caches or artifacts.
          const inStore = JSON.stringify(join?.slice(0, -1) ?? []).includes('Findings');
          if (inStore && typeof tail === 'string' && tail.startsWith('/')) out.push(tail.slice(1));
        }
      }
    }
    return out;
  };

  it('lets each repository’s gates write only under its own repository’s keys', () => {
    const [api, web, ledger] = app.stacks.repositories;
    const keys = new Map([api, web, ledger].map((r) => [r!, writtenKeys(r!.pipelines)]));
    for (const [r, list] of keys) {
      const own = `${r.repository.owner}/${r.repository.name}/`;
      expect(list.length).toBeGreaterThan(0);
      for (const key of list) expect(key.startsWith(own)).toBe(true);
    }
    // Repo A (payments-api) cannot write repo B's (web-frontend) keys, nor B A's.
    expect(keys.get(api!)!.sort()).toEqual(
      [
        'acme-corp/payments-api/pipelines/acme-main/executions/*',
        'acme-corp/payments-api/commits/*',
        'acme-corp/payments-api/branches/main/*',
        'acme-corp/payments-api/pipelines/acme-feature/executions/*',
      ].sort(),
    );
    expect(keys.get(web!)!.some((k) => k.startsWith('acme-corp/payments-api/'))).toBe(false);
    expect(keys.get(ledger!)!).toContain('acme-corp/Ledger.Worker/branches/trunk/*');
  });

  it('serves every listed repository from one bot, through each repository’s own pipelines', () => {
    const fn = resources('AWS::Lambda::Function').find((r) => r.props.FunctionName === 'acme-bot')!;
    const env = fn.props.Environment.Variables;
    // The list is a file in a layer (no 4 KB environment limit), written by the CDK app from the config.
    expect(env.PIPEWARDEN_REPOSITORIES_FILE).toBe('/opt/pipewarden/repositories.json');
    const [layer] = resources('AWS::Lambda::LayerVersion').filter((r) => r.stack === 'acme-bot');
    const staged = `asset.${String(layer!.props.Content.S3Key).replace(/\.zip$/, '')}`;
    const registry = join(app.assembly.directory, staged, 'pipewarden', 'repositories.json');
    expect(JSON.parse(readFileSync(registry, 'utf8'))).toEqual([
      {
        repository: 'acme-corp/payments-api',
        main: 'acme-main',
        feature: 'acme-feature',
        mainBranch: 'main',
        ecr: 'acme-ci/payments-api',
      },
      {
        repository: 'acme-corp/web-frontend',
        main: 'acme-web-main',
        feature: 'acme-web-feature',
        mainBranch: 'main',
        ecr: 'acme-web-ci/web-frontend',
      },
      {
        repository: 'acme-corp/Ledger.Worker',
        main: 'acme-ledgerwork-main',
        feature: 'acme-ledgerwork-feature',
        mainBranch: 'trunk',
        ecr: 'acme-ledgerwork-ci/ledger.worker',
      },
    ]);
    expect(fn.props.Layers).toContainEqual({ Ref: expect.stringMatching(/^Registry/) });
    expect(env.PIPEWARDEN_REPOSITORY).toBeUndefined();
    expect(env.PIPEWARDEN_REPOSITORIES).toBeUndefined();
    expect(env.PIPEWARDEN_PIPELINES).toBeUndefined();
    // The approval it may give: each main pipeline's production gate (the shorthand's by name, the listed
    // ones' by the deployment's scheme), nothing else.
    const approvals = resources('AWS::IAM::Policy')
      .filter((p) => p.stack === 'acme-bot')
      .flatMap((p) => [p.props.PolicyDocument.Statement].flat())
      .filter((s: any) => [s.Action].flat().includes('codepipeline:PutApprovalResult'))
      .flatMap((s: any) => [s.Resource].flat().map((x: unknown) => JSON.stringify(x)));
    expect(approvals).toHaveLength(2);
    expect(approvals.some((a) => a.includes(':acme-main/Approval/Approve'))).toBe(true);
    expect(approvals.some((a) => a.includes(':acme-*-main/Approval/Approve'))).toBe(true);
  });
});
