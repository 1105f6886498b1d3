import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './fixtures/run-bundle.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: string;
  Principal?: { Federated?: string };
  Condition?: Record<string, Record<string, string>>;
}
const policy = (file: string) =>
  JSON.parse(readFileSync(join(root, 'docs', 'iam', file), 'utf8')) as { Statement: Statement[] };

/** Every CodePipeline command the action's code sends. */
function commandsSent(dir: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of text.matchAll(/new (\w+)Command\(/g)) found.add(`codepipeline:${m[1]}`);
  }
  return found;
}

describe('docs/iam/action-policy.json', () => {
  it('allows exactly the CodePipeline actions the action calls, on one pipeline', () => {
    const [statement, ...rest] = policy('action-policy.json').Statement;
    expect(rest).toEqual([]);
    expect(statement!.Effect).toBe('Allow');
    const sent = commandsSent(join(root, 'action'));
    expect(sent.size).toBeGreaterThanOrEqual(6);
    expect([...(statement!.Action as string[])].sort()).toEqual([...sent].sort());
    expect(statement!.Resource).toBe('arn:aws:codepipeline:REGION:ACCOUNT_ID:PIPELINE_NAME');
  });
});

describe('docs/iam/action-trust-policy.json', () => {
  it('lets only GitHub OIDC tokens for one repository, meant for STS, assume the role', () => {
    const [statement, ...rest] = policy('action-trust-policy.json').Statement;
    expect(rest).toEqual([]);
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: 'arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com' },
    });
    expect(statement!.Condition?.StringEquals?.['token.actions.githubusercontent.com:aud']).toBe(
      'sts.amazonaws.com',
    );
    const sub = statement!.Condition?.StringLike?.['token.actions.githubusercontent.com:sub'];
    expect(sub).toBe('repo:OWNER/REPO:*');
  });
});
