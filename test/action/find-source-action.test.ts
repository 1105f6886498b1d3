import { describe, expect, it } from '@jest/globals';
import { findSourceAction } from '../../action/lib/find-source-action.js';
import type { ActionShape, PipelineShape } from '../../action/lib/types.js';

const action = (
  name: string,
  category: string,
  provider: string,
  configuration: Record<string, string> = {},
): ActionShape => ({
  name,
  category,
  provider,
  runOrder: 1,
  configuration,
});
const pipeline = (...sources: ActionShape[]): PipelineShape => ({
  name: 'p',
  stages: [
    { name: 'Source', actions: sources },
    { name: 'Build', actions: [action('Compile', 'Build', 'CodeBuild')] },
  ],
  variables: [],
});
const github = (name: string, repo = 'acme/shop') =>
  action(name, 'Source', 'CodeStarSourceConnection', {
    FullRepositoryId: repo,
    BranchName: 'main',
    ConnectionArn: 'arn',
  });

describe('findSourceAction', () => {
  it("takes the pipeline's only CodeConnections source action", () => {
    expect(findSourceAction(pipeline(github('App'), action('Config', 'Source', 'S3')))).toEqual({
      name: 'App',
      provider: 'CodeStarSourceConnection',
      repository: 'acme/shop',
      branch: 'main',
      connectionArn: 'arn',
    });
  });

  it('names the candidates when there are several', () => {
    expect(() => findSourceAction(pipeline(github('App'), github('Lib', 'acme/lib')))).toThrow(
      'pipewarden: input source-action-name: pipeline "p" has 2 CodeConnections source actions (App, Lib): set source-action-name to the one that reads this repository',
    );
    expect(findSourceAction(pipeline(github('App'), github('Lib', 'acme/lib')), 'Lib').repository).toBe(
      'acme/lib',
    );
  });

  it('says when there is none, listing the source actions there are', () => {
    expect(() => findSourceAction(pipeline(action('Bucket', 'Source', 'S3')))).toThrow(
      'pipeline "p" has no CodeConnections (GitHub) source action to start at a commit; its source actions: Bucket (S3)',
    );
  });

  it('checks the requested name: it must exist, be a source, and take a commit', () => {
    const p = pipeline(
      github('App'),
      action('Bucket', 'Source', 'S3'),
      action('Repo', 'Source', 'CodeCommit'),
    );
    expect(() => findSourceAction(p, 'Nope')).toThrow(
      'input source-action-name: pipeline "p" has no source action "Nope"; its source actions: App (CodeStarSourceConnection), Bucket (S3), Repo (CodeCommit)',
    );
    expect(() => findSourceAction(p, 'Compile')).toThrow(/has no source action "Compile"/);
    expect(() => findSourceAction(p, 'Bucket')).toThrow(
      'source action "Bucket" is a S3 source, which does not take a commit; pick one of: App (CodeStarSourceConnection), Repo (CodeCommit)',
    );
    expect(findSourceAction(p, 'Repo')).toMatchObject({
      name: 'Repo',
      provider: 'CodeCommit',
      repository: undefined,
    });
  });
});
