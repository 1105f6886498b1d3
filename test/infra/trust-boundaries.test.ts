import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { CLI_INSTALL_PATH } from '../../infra/lib/constructs/platform.js';
import {
  loadTemplates,
  type CachedStacks,
  type StackRef,
  type SynthesizedTemplates,
} from '../support/synth-cache.js';
import { PLATFORM } from './synth.js';

// Issue 10: the code under review never controls its own security gate. Proved on the synthesized
// templates of the full configuration (stacks.test.ts synthesizes the same one with every check and
// asserts zero cdk-nag and Control Tower violations on them: both read the one synthesis of the shared
// synth cache, test/support/synth-cache.ts).

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Statement = { Effect: string; Action: string[]; Resource: string[]; Condition?: Json };

let app: SynthesizedTemplates;
beforeAll(() => {
  app = loadTemplates('full');
}, 900_000);

const tmpl = (stack: StackRef): Template => app.template(stack);
const resourcesOf = (template: Template): Record<string, { Type: string; Properties: Json }> =>
  template.toJSON().Resources;
const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * A template value as one string: references become `<stack>/<logicalId>.<attribute>` (a cross-stack
 * Fn::GetStackOutput is followed back to the storage stack's resource), so a statement's resources
 * can be compared with the resources they must or must not name.
 */
function resolve(value: Json, stackName: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value?.['Fn::Join'])) {
    const [delimiter, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((p) => resolve(p, stackName)).join(delimiter);
  }
  if (value?.['Fn::GetStackOutput']) {
    const { StackName, OutputName } = value['Fn::GetStackOutput'] as {
      StackName: string;
      OutputName: string;
    };
    const m = /^PublishOutput(?:FnGetAtt(.+?)(Arn|RepositoryUri)|Ref(.+?))[0-9A-F]{8}$/.exec(OutputName);
    if (!m) throw new Error(`unrecognized cross-stack output ${OutputName}`);
    return m[3] ? `${StackName}/${m[3]}.Ref` : `${StackName}/${m[1]}.${m[2]}`;
  }
  if (Array.isArray(value?.['Fn::GetAtt']))
    return `${stackName}/${value['Fn::GetAtt'][0]}.${value['Fn::GetAtt'][1]}`;
  if (value?.Ref !== undefined) return `${stackName}/${value.Ref}.Ref`;
  if (value?.['Fn::Sub'] !== undefined) return String(value['Fn::Sub']);
  return JSON.stringify(value);
}

/** Every statement of every policy attached to a role (inline, AWS::IAM::Policy), resources resolved. */
function roleStatements(stack: StackRef, roleId: string): Statement[] {
  const docs: Json[] = [];
  for (const r of Object.values(resourcesOf(tmpl(stack)))) {
    if (r.Type === 'AWS::IAM::Role' && r === resourcesOf(tmpl(stack))[roleId])
      docs.push(...asList(r.Properties.Policies).map((p: Json) => p.PolicyDocument));
    if (
      (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') &&
      asList(r.Properties.Roles).some((ref: Json) => ref?.Ref === roleId)
    )
      docs.push(r.Properties.PolicyDocument);
  }
  const managed = asList(resourcesOf(tmpl(stack))[roleId]?.Properties.ManagedPolicyArns);
  expect(managed).toEqual([]); // nothing AWS-managed on top of what is written here
  return docs.flatMap((d) =>
    asList(d.Statement).map((s: Json) => ({
      Effect: s.Effect,
      Action: asList(s.Action),
      Resource: asList(s.Resource).map((x) => resolve(x, stack.stackName)),
      Condition: s.Condition,
    })),
  );
}

/** The logical id of a storage resource (storage.findingsBucket), as the storage template names it. */
const storageId = (resource: keyof CachedStacks['storage']['logicalIds']): string => {
  const id = app.stacks.storage.logicalIds[resource];
  if (!id) throw new Error(`no logical id for storage.${resource}`);
  return id;
};
/** `<storage stack>/<logicalId>` of a storage resource, as resolve() names it. */
const storageRef = (resource: keyof CachedStacks['storage']['logicalIds']) =>
  `${app.stacks.storage.stackName}/${storageId(resource)}`;

interface ProjectInfo {
  name: string;
  roleId: string;
  buildSpec: string;
  env: Record<string, { Name: string; Type?: string; Value: Json }>;
  arn: string;
}
function projects(stack: StackRef): ProjectInfo[] {
  return Object.entries(resourcesOf(tmpl(stack)))
    .filter(([, r]) => r.Type === 'AWS::CodeBuild::Project')
    .map(([id, r]) => ({
      name: r.Properties.Name,
      roleId: r.Properties.ServiceRole['Fn::GetAtt'][0],
      buildSpec: r.Properties.Source.BuildSpec,
      env: Object.fromEntries(
        asList(r.Properties.Environment.EnvironmentVariables).map((v: Json) => [v.Name, v]),
      ),
      arn: `${stack.stackName}/${id}.Arn`,
    }));
}
/**
 * Issue 11: the main pipeline's deploy-side projects (after a deployment: record the image, smoke-test staging).
 * Not security stages and no principal of their own: the main pipeline starts them; they hold no secret and no
 * right on the findings store, Security Hub or ECR (checked below).
 */
const DEPLOY_SIDE = [
  'pipewarden-staging-record-image',
  'pipewarden-production-record-image',
  'pipewarden-staging-smoke-test',
];
const deploySideProjects = () => projects(app.stacks.pipelines).filter((p) => DEPLOY_SIDE.includes(p.name));
const pipelineProjects = () => projects(app.stacks.pipelines).filter((p) => !DEPLOY_SIDE.includes(p.name));
const isCi = (p: ProjectInfo) => p.name.startsWith('pipewarden-ci-');
const ciProjects = () => pipelineProjects().filter(isCi);
const mainProjects = () => pipelineProjects().filter((p) => !isCi(p));
const SECURITY = ['snyk', 'inspector', 'image', 'gate'];
const securityProjects = () =>
  [...pipelineProjects().filter((p) => SECURITY.some((s) => p.name.endsWith(`-${s}`)))].concat(
    projects(app.stacks.infrastructure).filter((p) => p.name === 'pipewarden-infra-synth'),
  );

/** The roles of the feature pipeline: its five projects' and its CodePipeline roles (pipeline, source, build). */
function pipelineRoleIds(id: 'Main' | 'Feature'): string[] {
  return Object.entries(resourcesOf(tmpl(app.stacks.pipelines)))
    .filter(([rid, r]) => r.Type === 'AWS::IAM::Role' && rid.startsWith(`${id}Roles`))
    .map(([rid]) => rid);
}
const featureRoleIds = () => [...ciProjects().map((p) => p.roleId), ...pipelineRoleIds('Feature')];
const mainRoleIds = () => [...mainProjects().map((p) => p.roleId), ...pipelineRoleIds('Main')];
const statementsOf = (roleIds: string[]) =>
  roleIds.flatMap((id) => roleStatements(app.stacks.pipelines, id).map((s) => ({ role: id, ...s })));
const WRITES =
  /^(s3:(Put|Delete|Restore|Replicate)|securityhub:|ecr:(Put|Upload|Initiate|Complete|BatchDelete))/;

describe('platform-owned security stages', () => {
  it('inlines every security buildspec from the deployment: the exact file, never a source filename', () => {
    const files: Record<string, string> = {
      snyk: 'scan.yml',
      inspector: 'scan.yml',
      image: 'image.yml',
      gate: 'gate.yml',
      'ci-gate': 'gate-ci.yml',
      'infra-synth': 'infra-synth.yml',
    };
    const security = securityProjects();
    expect(security).toHaveLength(9);
    for (const p of security) {
      const key = p.name.replace(/^pipewarden-/, '');
      const file = files[key] ?? files[key.replace(/^ci-/, '')]!;
      const fromFile = parse(readFileSync(join(PLATFORM.buildspecDirectory, file), 'utf8'));
      expect(p.buildSpec.startsWith('version: 0.2')).toBe(true);
      expect(parse(p.buildSpec)).toEqual(fromFile);
      expect(p.buildSpec).toContain('echo "$PIPEWARDEN_CLI_SHA256  $PIPEWARDEN_CLI" | sha256sum -c -');
      expect(p.buildSpec).not.toMatch(/dist\/cli/);
    }
  });

  it('reads from the source only the repository’s own test buildspec (build.testBuildspec)', () => {
    const fromSource = pipelineProjects().filter((p) => !p.buildSpec.startsWith('version: 0.2'));
    expect(fromSource.map((p) => [p.name, p.buildSpec])).toEqual([
      ['pipewarden-test', 'buildspec.yml'],
      ['pipewarden-ci-test', 'buildspec.yml'],
    ]);
    // The test projects hold no secret, no findings store, no Security Hub, no ECR, no pinned CLI.
    for (const p of fromSource) {
      expect(Object.values(p.env).filter((v) => v.Type === 'SECRETS_MANAGER')).toEqual([]);
      const actions = roleStatements(app.stacks.pipelines, p.roleId).flatMap((s) => s.Action);
      expect(actions.filter((a) => /^(secretsmanager|securityhub|ecr|inspector)/.test(a))).toEqual([]);
      const resources = roleStatements(app.stacks.pipelines, p.roleId).flatMap((s) => s.Resource);
      expect(resources.filter((r) => r.includes(storageId('findingsBucket')))).toEqual([]);
    }
  });

  it('pins the CLI: the asset of dist/cli/index.js, its sha256, and exact GetObject on that one object', () => {
    const sha256 = createHash('sha256').update(readFileSync(PLATFORM.cliFile)).digest('hex');
    for (const p of securityProjects()) {
      expect(p.env.PIPEWARDEN_CLI_SHA256!.Value).toBe(sha256);
      expect(p.env.PIPEWARDEN_CLI!.Value).toBe(CLI_INSTALL_PATH);
      const url = resolve(p.env.PIPEWARDEN_CLI_URL!.Value, '');
      const m = /^s3:\/\/(cdk-hnb659fds-assets-111111111111-eu-west-1)\/([0-9a-f]{64}\.js)$/.exec(url);
      expect(m).not.toBeNull();
      const stack = p.name === 'pipewarden-infra-synth' ? app.stacks.infrastructure : app.stacks.pipelines;
      const reads = roleStatements(stack, p.roleId).filter((s) => s.Resource.some((r) => r.includes(m![1]!)));
      expect(reads.map((s) => s.Action)).toEqual([['s3:GetObject']]);
      expect(reads.flatMap((s) => s.Resource).filter((r) => r.includes(m![1]!))).toEqual([
        `arn:aws:s3:::${m![1]}/${m![2]}`,
      ]);
    }
    // The asset the projects fetch is that file, byte for byte.
    const manifest = JSON.parse(
      readFileSync(join(app.assembly.directory, `${app.stacks.pipelines.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { source: { path: string } }> };
    const cli = Object.values(manifest.files).find((f) => f.source.path.endsWith('.js'))!;
    expect(
      createHash('sha256')
        .update(readFileSync(join(app.assembly.directory, cli.source.path)))
        .digest('hex'),
    ).toBe(sha256);
  });
});

describe('CI and CD are separate principals', () => {
  it('has ten distinct projects with ten distinct roles, each pipeline starting only its own five', () => {
    const all = pipelineProjects();
    expect(all.map((p) => p.name).sort()).toEqual(
      [
        'pipewarden-test',
        'pipewarden-snyk',
        'pipewarden-inspector',
        'pipewarden-image',
        'pipewarden-gate',
        'pipewarden-ci-test',
        'pipewarden-ci-snyk',
        'pipewarden-ci-inspector',
        'pipewarden-ci-image',
        'pipewarden-ci-gate',
      ].sort(),
    );
    expect(new Set(all.map((p) => p.roleId)).size).toBe(10);
    const starts = (id: 'Main' | 'Feature') => {
      const buildRole = pipelineRoleIds(id).find((r) => r.startsWith(`${id}RolesBuildRole`))!;
      return roleStatements(app.stacks.pipelines, buildRole)
        .filter((s) => s.Action.includes('codebuild:StartBuild'))
        .flatMap((s) => s.Resource)
        .sort();
    };
    expect(starts('Main')).toEqual([...mainProjects(), ...deploySideProjects()].map((p) => p.arn).sort());
    expect(
      deploySideProjects()
        .map((p) => p.name)
        .sort(),
    ).toEqual([...DEPLOY_SIDE].sort());
    // The deploy-side projects: their logs, the main artifacts, the key, and (the records) one parameter each.
    for (const p of deploySideProjects()) {
      const actions = roleStatements(app.stacks.pipelines, p.roleId).flatMap((st) => st.Action);
      expect(
        actions.filter((a) => /^(secretsmanager|securityhub|ecr|inspector|codebuild:Start)/.test(a)),
      ).toEqual([]);
      expect(actions.includes('ssm:PutParameter')).toBe(p.name.endsWith('-record-image'));
    }
    expect(starts('Feature')).toEqual(
      ciProjects()
        .map((p) => p.arn)
        .sort(),
    );
    // And each pipeline's actions run with its own build role and its own projects.
    const pipelines = Object.values(resourcesOf(tmpl(app.stacks.pipelines))).filter(
      (r) => r.Type === 'AWS::CodePipeline::Pipeline',
    );
    for (const pipeline of pipelines) {
      const ci = pipeline.Properties.Name === 'pipewarden-feature';
      const used = pipeline.Properties.Stages.flatMap((s: Json) => s.Actions)
        .filter((a: Json) => a.ActionTypeId.Provider === 'CodeBuild')
        .map((a: Json) => `pipewarden-pipelines/${a.Configuration.ProjectName.Ref}.Arn`);
      expect(used.sort()).toEqual(
        (ci ? ciProjects() : [...mainProjects(), ...deploySideProjects()]).map((p) => p.arn).sort(),
      );
    }
  });

  it('gives no feature role branches/, commits/, Security Hub, the production repository, the main token, bucket or caches', () => {
    const findings = storageRef('findingsBucket');
    const forbidden = [
      storageRef('artifactBucket') + '.', // the main artifact bucket (CiArtifactsBucket is another id)
      storageRef('repository') + '.',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:snyk-AbCdEf', // the main Snyk token
    ];
    const statements = statementsOf(featureRoleIds());
    expect(statements.length).toBeGreaterThan(30);
    const cachePrefix = `${storageRef('cacheBucket')}.Arn/`;
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      expect(st.Action).not.toContain('securityhub:BatchImportFindings');
      for (const r of st.Resource) {
        for (const f of forbidden) expect(r.startsWith(f) || r === f).toBe(false);
        expect(r).not.toMatch(/\/commits\//);
        // Cache: its own project's prefix only (pipewarden-ci-<x>/), never a main project's.
        if (r.startsWith(cachePrefix))
          expect(r).toMatch(/\.Arn\/pipewarden-ci-(test|snyk|inspector|image|gate)\/\*$/);
        if (r.startsWith(findings)) {
          // Read the base branch's baseline (and policy), list (a missing one is a 404), write its executions.
          const allowed: Record<string, string[]> = {
            [`${findings}.Arn/example-org/example-service/branches/main/latest.json`]: ['s3:GetObject'],
            [`${findings}.Arn`]: ['s3:ListBucket'],
            [`${findings}.Arn/example-org/example-service/pipelines/pipewarden-feature/executions/*`]: [
              's3:PutObject',
            ],
          };
          expect(Object.keys(allowed)).toContain(r);
          expect(st.Action).toEqual(allowed[r]);
        }
      }
    }
    // Only the CI gate touches the store at all.
    const storeUsers = new Set(
      statements.filter((st) => st.Resource.some((r) => r.startsWith(findings))).map((st) => st.role),
    );
    expect([...storeUsers]).toEqual([ciProjects().find((p) => p.name === 'pipewarden-ci-gate')!.roleId]);
  });

  it('lets the feature pipeline push only to the CI repository and read only the CI Snyk token', () => {
    const statements = statementsOf(featureRoleIds());
    const pushes = statements.filter((st) => st.Action.includes('ecr:PutImage')).flatMap((st) => st.Resource);
    expect(pushes).toEqual([`${storageRef('ciRepository')}.Arn`]);
    const secrets = statements
      .filter((st) => st.Action.includes('secretsmanager:GetSecretValue'))
      .flatMap((st) => st.Resource);
    expect(secrets).toEqual([`${storageRef('ciSnykToken')}.Ref`]);
    const ciSnyk = ciProjects().find((p) => p.name === 'pipewarden-ci-snyk')!;
    expect(resolve(ciSnyk.env.SNYK_TOKEN!.Value, '')).toBe(secrets[0]);
    const image = ciProjects().find((p) => p.name === 'pipewarden-ci-image')!;
    const uri = resolve(image.env.PIPEWARDEN_ECR_REPOSITORY_URI!.Value, '');
    expect(uri).toContain(storageId('ciRepository'));
    expect(uri).not.toContain(storageId('repository'));
    // The CI token is a secret of its own, named for what it is.
    tmpl(app.stacks.storage).hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'pipewarden/snyk-token-ci',
    });
  });

  it('gives no main role anything of the feature pipeline’s, and keeps the store writes of main to its own keys', () => {
    const theirs = [storageRef('ciArtifactBucket'), storageRef('ciRepository')];
    const ciToken = `${storageRef('ciSnykToken')}.Ref`;
    const statements = statementsOf(mainRoleIds());
    for (const st of statements) {
      for (const r of st.Resource) {
        for (const t of theirs) expect(r.startsWith(`${t}.`)).toBe(false);
        expect(r).not.toBe(ciToken);
        expect(r).not.toMatch(/pipewarden-ci-/);
      }
    }
    const findings = storageRef('findingsBucket');
    const writes = statements
      .filter((st) => st.Action.some((a) => WRITES.test(a)))
      .flatMap((st) => st.Resource)
      .filter((r) => r.startsWith(findings))
      .sort();
    expect(writes).toEqual(
      [
        `${findings}.Arn/example-org/example-service/branches/main/*`,
        `${findings}.Arn/example-org/example-service/commits/*`,
        `${findings}.Arn/example-org/example-service/pipelines/pipewarden-main/executions/*`,
      ].sort(),
    );
    const imports = statements.filter((st) => st.Action.includes('securityhub:BatchImportFindings'));
    expect(imports.map((st) => st.role)).toEqual([
      mainProjects().find((p) => p.name === 'pipewarden-gate')!.roleId,
    ]);
  });

  it('gives the CI projects that run branch code no build cache, so one pull request cannot plant what the next restores', () => {
    const cacheOf = (name: string) =>
      Object.values(resourcesOf(tmpl(app.stacks.pipelines))).find(
        (r) => r.Type === 'AWS::CodeBuild::Project' && r.Properties.Name === name,
      )!.Properties.Cache;
    for (const name of ['pipewarden-ci-test', 'pipewarden-ci-snyk'])
      expect(cacheOf(name)).toEqual({ Type: 'NO_CACHE' });
    // The CI projects that run only the platform's code keep theirs; main keeps all of its own.
    for (const name of ['pipewarden-ci-image', 'pipewarden-test', 'pipewarden-snyk'])
      expect(cacheOf(name)).toMatchObject({ Type: 'S3' });
    const cache = storageId('cacheBucket');
    const noCacheRoles = ciProjects()
      .filter((p) => ['pipewarden-ci-test', 'pipewarden-ci-snyk'].includes(p.name))
      .map((p) => p.roleId);
    expect(noCacheRoles).toHaveLength(2);
    const touching = (roles: string[]) =>
      statementsOf(roles).filter((st) => st.Resource.some((r) => r.includes(cache)));
    expect(touching(noCacheRoles)).toEqual([]);
    // The same check finds the cache grants of main's test project: it would see a CI one.
    const mainTest = mainProjects().find((p) => p.name === 'pipewarden-test')!.roleId;
    expect(touching([mainTest]).length).toBeGreaterThan(0);
  });

  it('runs each pipeline on its own artifact bucket', () => {
    const stores = Object.values(resourcesOf(tmpl(app.stacks.pipelines)))
      .filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')
      .map((r) => [r.Properties.Name, resolve(r.Properties.ArtifactStore.Location, '')]);
    expect(Object.fromEntries(stores)).toEqual({
      'pipewarden-main': `${storageRef('artifactBucket')}.Ref`,
      'pipewarden-feature': `${storageRef('ciArtifactBucket')}.Ref`,
    });
  });
});

describe('pull requests and forks', () => {
  it('leaves the V2 pull-request trigger off by default (forks cannot be told apart); opt-in turns it on', () => {
    const feature = (pipelines: Template) =>
      Object.values(resourcesOf(pipelines)).find(
        (r) => r.Type === 'AWS::CodePipeline::Pipeline' && r.Properties.Name === 'pipewarden-feature',
      )!;
    expect(
      feature(tmpl(app.stacks.pipelines)).Properties.Triggers[0].GitConfiguration.PullRequest,
    ).toBeUndefined();
    // The example with the trigger opted into (and a central Security Hub), shared with pipelines-safety.
    const optIn = loadTemplates('central');
    expect(
      feature(optIn.template(optIn.stacks.pipelines)).Properties.Triggers[0].GitConfiguration.PullRequest,
    ).toEqual([
      {
        Branches: { Includes: ['main'] },
        Events: ['OPEN', 'UPDATED'],
        FilePaths: { Excludes: ['docs/**', '**/*.md'] },
      },
    ]);
  }, 120_000);
});

describe('the bot', () => {
  it('reads a run’s findings only under the executions of the two pipelines, and knows the main branch', () => {
    const bot = app.stacks.bot;
    const roleId = Object.entries(resourcesOf(tmpl(bot))).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'pipewarden-bot',
    )![1].Properties.Role['Fn::GetAtt'][0];
    const reads = roleStatements(bot, roleId)
      .filter((s) => s.Action.includes('s3:GetObject'))
      .flatMap((s) => s.Resource)
      .sort();
    const findings = storageRef('findingsBucket');
    expect(reads).toEqual([
      `${findings}.Arn/example-org/example-service/pipelines/pipewarden-feature/executions/*`,
      `${findings}.Arn/example-org/example-service/pipelines/pipewarden-main/executions/*`,
    ]);
    const ecr = roleStatements(bot, roleId)
      .filter((s) => s.Action.some((a) => a.startsWith('ecr:')))
      .flatMap((s) => s.Resource);
    expect(ecr).toEqual([`${storageRef('ciRepository')}.Arn`]);
    const fn = Object.values(resourcesOf(tmpl(bot))).find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(fn.Properties.Environment.Variables).toMatchObject({
      PIPEWARDEN_MAIN_BRANCH: 'main',
      PIPEWARDEN_PIPELINES: 'pipewarden-main,pipewarden-feature',
      PIPEWARDEN_FEATURE_PIPELINE: 'pipewarden-feature',
    });
  });
});
