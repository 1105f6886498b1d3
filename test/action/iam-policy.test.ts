import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { root } from './fixtures/run-bundle.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string;
  Principal?: { Federated?: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}
const policy = (file: string) =>
  JSON.parse(readFileSync(join(root, 'docs', 'iam', file), 'utf8')) as { Statement: Statement[] };

/**
 * Every AWS call the action's code makes, as IAM actions: the files its entry points reach through relative
 * imports in action/ and pipeline/ (the shared CodePipeline helpers), each `new XCommand(` and each SDK
 * paginator `paginateX(`, the service from the client the file imports.
 */
function commandsSent(entries: string[]): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const service = text.includes("from '@aws-sdk/client-codestar-connections'")
      ? 'codestar-connections'
      : 'codepipeline';
    for (const m of text.matchAll(/new (\w+)Command\(|paginate(\w+)\(/g))
      found.add(`${service}:${m[1] ?? m[2]}`);
    for (const m of text.matchAll(/from '(\.[^']+)\.js'/g)) {
      const target = join(dirname(file), `${m[1]}.ts`);
      if (/[/\\](action|pipeline)[/\\]/.test(relative(root, target).replace(/^/, '/'))) visit(target);
    }
  };
  entries.forEach(visit);
  return found;
}

const FEATURE = 'arn:aws:codepipeline:REGION:ACCOUNT_ID:FEATURE_PIPELINE_NAME';
const MAIN = 'arn:aws:codepipeline:REGION:ACCOUNT_ID:MAIN_PIPELINE_NAME';

describe('docs/iam/action-policy.json', () => {
  const [allow, connection, deny, ...rest] = policy('action-policy.json').Statement;
  const sentTo = (service: string) =>
    new Set(
      [...commandsSent(['index.ts', 'post.ts'].map((f) => join(root, 'action', f)))].filter((a) =>
        a.startsWith(`${service}:`),
      ),
    );

  it('allows exactly the CodePipeline actions the action calls, on the feature pipeline only', () => {
    expect(rest).toEqual([]);
    expect(allow!.Effect).toBe('Allow');
    const sent = sentTo('codepipeline');
    expect(sent.size).toBeGreaterThanOrEqual(6);
    expect([...(allow!.Action as string[])].sort()).toEqual([...sent].sort());
    // One pipeline, named: no wildcard that could also match the main pipeline.
    expect(allow!.Resource).toBe(FEATURE);
    expect(allow!.Condition).toBeUndefined();
  });

  it('reads the GitHub connection (to explain a Source failure) under both service prefixes, and nothing else', () => {
    // CodeStar Connections was renamed CodeConnections: a role needs the action under the prefix of its ARN.
    expect([...sentTo('codestar-connections')]).toEqual(['codestar-connections:GetConnection']);
    expect(connection).toEqual({
      Sid: 'ExplainASourceFailureByItsGitHubConnection',
      Effect: 'Allow',
      Action: ['codestar-connections:GetConnection', 'codeconnections:GetConnection'],
      Resource: [
        'arn:aws:codestar-connections:REGION:ACCOUNT_ID:connection/CONNECTION_ID',
        'arn:aws:codeconnections:REGION:ACCOUNT_ID:connection/CONNECTION_ID',
      ],
    });
  });

  it('denies everything on the main pipeline, which deploys: only merges start it', () => {
    // An explicit Deny outlives any broader Allow attached to the role later.
    expect(deny).toEqual({
      Sid: 'NeverTheMainPipelineItDeploys',
      Effect: 'Deny',
      Action: 'codepipeline:*',
      Resource: MAIN,
    });
  });
});

/** IAM's StringLike: `*` any run of characters (`/` included), `?` one character, the rest literal. */
function stringLike(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

describe('docs/iam/action-trust-policy.json', () => {
  const [statement, ...rest] = policy('action-trust-policy.json').Statement;
  const subjects = () => {
    const sub = statement!.Condition?.StringLike?.['token.actions.githubusercontent.com:sub'];
    return typeof sub === 'string' ? [sub] : (sub ?? []);
  };
  const admits = (subject: string) => subjects().some((pattern) => stringLike(pattern, subject));

  it('lets only GitHub OIDC tokens for one repository, meant for STS, assume the role', () => {
    expect(rest).toEqual([]);
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: 'arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com' },
    });
    // Only these two operators: nothing like ForAnyValue or StringNotLike that would widen the subject.
    expect(Object.keys(statement!.Condition ?? {}).sort()).toEqual(['StringEquals', 'StringLike']);
    expect(statement!.Condition?.StringEquals).toEqual({
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
    });
    expect(Object.keys(statement!.Condition?.StringLike ?? {})).toEqual([
      'token.actions.githubusercontent.com:sub',
    ]);
  });

  it('names the events and refs that start the feature pipeline, and no wildcard subject for the repository', () => {
    expect(subjects().sort()).toEqual([
      'repo:OWNER/REPO:pull_request',
      'repo:OWNER/REPO:ref:refs/heads/bugfix/*',
      'repo:OWNER/REPO:ref:refs/heads/feature/*',
    ]);
    for (const pattern of subjects()) {
      expect(pattern).not.toBe('repo:OWNER/REPO:*');
      // The repository and the kind of subject (event, ref prefix) are literal; a wildcard only ends a branch prefix.
      expect(pattern).toMatch(/^repo:OWNER\/REPO:(pull_request|ref:refs\/heads\/[A-Za-z0-9._-]+\/\*)$/);
    }
  });

  it.each([
    'repo:OWNER/REPO:pull_request',
    'repo:OWNER/REPO:ref:refs/heads/feature/login',
    'repo:OWNER/REPO:ref:refs/heads/feature/team/login',
    'repo:OWNER/REPO:ref:refs/heads/bugfix/1234',
  ])('admits %s', (subject) => {
    expect(admits(subject)).toBe(true);
  });

  const refused = [
    // The main branch (and workflow_run jobs, which run on it): merges start the main pipeline, never this role.
    'repo:OWNER/REPO:ref:refs/heads/main',
    'repo:OWNER/REPO:ref:refs/heads/release/1.0',
    'repo:OWNER/REPO:ref:refs/heads/main-feature/x',
    'repo:OWNER/REPO:ref:refs/tags/v1.0.0',
    'repo:OWNER/REPO:ref:refs/pull/7/merge',
    'repo:OWNER/REPO:environment:production',
    // Not a subject GitHub issues: here to show `pull_request` is matched whole, not as a prefix.
    'repo:OWNER/REPO:pull_request_target',
    'repo:OWNER/REPO-fork:pull_request',
    'repo:MALLORY/REPO:pull_request',
    'repo:MALLORY/REPO:ref:refs/heads/feature/x',
  ];
  it.each(refused)('refuses %s', (subject) => {
    expect(admits(subject)).toBe(false);
  });

  it('refuses what the former repository-wide subject repo:OWNER/REPO:* admitted', () => {
    // The matcher is the one the refusals above rely on: the old pattern lets every same-repository subject in.
    const sameRepository = refused.filter((s) => s.startsWith('repo:OWNER/REPO:'));
    expect(sameRepository.filter((s) => stringLike('repo:OWNER/REPO:*', s))).toEqual(sameRepository);
    expect(sameRepository.filter(admits)).toEqual([]);
  });
});
