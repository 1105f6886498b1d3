import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { branchImageTag, ECR_TAG } from '../../bot/aws/image-tag.js';
import { example, PIPELINES, startHarness, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  if (!h) return;
  expect(h.github.violations).toEqual([]);
  await h.close();
  h = undefined;
});

const hex = (n: number, width = 64) => n.toString(16).padStart(width, '0');
const sha = (n: number) => hex(n, 40);

/** The real `delete` example is a tag; a branch deletion is the same payload with ref_type branch. */
const deleteBranch = (branch: string) =>
  example('delete', undefined, (p) => {
    p.ref = branch;
    p.ref_type = 'branch';
  });

describe('branchImageTag (the tag the image buildspec writes)', () => {
  const names = [
    'feature/login',
    'Feature/Login_2.0-rc',
    'fix/ünïcode-😀',
    'a/b//c with spaces and $ymbols',
    'x'.repeat(300),
    `${'y'.repeat(130)}/one`,
    `${'y'.repeat(130)}/two`,
  ];

  it('is a valid ECR tag that keeps distinct branches apart', () => {
    const tags = names.map(branchImageTag);
    for (const t of tags) expect(t).toMatch(ECR_TAG);
    expect(new Set(tags).size).toBe(names.length);
    expect(branchImageTag('feature/login')).toBe('branch-feature-login');
    expect(branchImageTag('Feature/Login_2.0-rc')).toBe('branch-Feature-Login_2.0-rc');
  });

  it('is exactly what the documented shell line computes', () => {
    const script = [
      "tag=\"branch-$(printf '%s' \"$BRANCH\" | LC_ALL=C tr -c 'A-Za-z0-9_.-' '-')\"",
      '[ ${#tag} -gt 128 ] && tag="${tag:0:119}-$(printf \'%s\' "$BRANCH" | sha256sum | cut -c1-8)"',
      'printf \'%s\' "$tag"',
    ].join('\n');
    for (const branch of names) {
      const out = spawnSync('bash', ['-c', script], {
        env: { BRANCH: branch, LC_ALL: 'C' },
        encoding: 'utf8',
      });
      expect(out.status).toBe(0);
      expect(out.stdout).toBe(branchImageTag(branch));
    }
  });
});

describe('a branch deleted, or its pull request closed', () => {
  it('deletes every image of the branch from ECR across all pages, and nothing else', async () => {
    h = await startHarness();
    const tag = branchImageTag('feature/login');
    const images = [];
    // 1,200 builds of the branch (its tag on the newest, commit shas on all), among 1,000 of another branch.
    for (let i = 0; i < 1200; i++)
      images.push({ digest: `sha256:${hex(i)}`, tags: [sha(i), ...(i % 2 ? [] : [tag])] });
    for (let i = 0; i < 1000; i++)
      images.push({ digest: `sha256:${hex(5000 + i)}`, tags: [sha(5000 + i), 'branch-main'] });
    images.push({ digest: `sha256:${hex(9000)}`, tags: [tag, 'v1.2.0'] }); // also a release: keep it
    h.aws.ecr.images = images;
    h.aws.ecr.pageSize = 1000;

    expect((await h.send('delete', deleteBranch('feature/login'))).status).toBe(200);

    const remaining = h.aws.ecr.images;
    expect(remaining.filter((i) => i.tags.includes(tag))).toEqual([]);
    expect(remaining.filter((i) => i.tags.includes('branch-main'))).toHaveLength(1000);
    expect(remaining.find((i) => i.digest === `sha256:${hex(9000)}`)?.tags).toEqual(['v1.2.0']);
    // The branch's tagged images are gone with their sha tags; its older builds keep their sha tag.
    expect(remaining.filter((i) => Number.parseInt(i.digest.slice(7), 16) < 1200)).toHaveLength(600);
    expect(h.aws.ecr.listCalls).toBe(Math.ceil((1200 + 600 + 2000 + 2) / 1000));
    expect(Math.max(...h.aws.ecr.deleteBatches)).toBeLessThanOrEqual(100);
  });

  it('stops the in-flight executions of that branch only', async () => {
    h = await startHarness();
    const p = h.aws.pipelines;
    p.pageSize = 2; // ListPipelineExecutions pages
    const mine = p.execute(PIPELINES.feature, {
      sha: sha(1),
      owner: 'Codertocat',
      repo: 'Hello-World',
      branch: 'feature/login',
    });
    // Started by the bot at a commit: the source reports the default branch, HEAD_BRANCH says the truth.
    const started = p.execute(PIPELINES.main, {
      sha: sha(2),
      owner: 'Codertocat',
      repo: 'Hello-World',
      variables: { HEAD_BRANCH: 'feature/login' },
    });
    const other = p.execute(PIPELINES.feature, {
      sha: sha(3),
      owner: 'Codertocat',
      repo: 'Hello-World',
      branch: 'feature/other',
    });
    const done = p.execute(PIPELINES.feature, {
      sha: sha(4),
      owner: 'Codertocat',
      repo: 'Hello-World',
      branch: 'feature/login',
    });
    done.status = 'Succeeded';
    for (let i = 0; i < 5; i++)
      p.execute(PIPELINES.feature, {
        sha: sha(10 + i),
        owner: 'Codertocat',
        repo: 'Hello-World',
        branch: `b${i}`,
      });

    await h.send('delete', deleteBranch('feature/login'));
    expect(p.stopped.map((s) => s.executionId).sort()).toEqual([mine.id, started.id].sort());
    expect(p.stopped[0]!.reason).toContain('feature/login');
    expect([other.status, done.status]).toEqual(['InProgress', 'Succeeded']);
  });

  it('cleans the head branch of a closed pull request', async () => {
    h = await startHarness();
    const payload = example('pull_request', 'closed');
    const tag = branchImageTag(payload.pull_request.head.ref);
    h.aws.ecr.images = [{ digest: 'sha256:aa', tags: [tag, sha(1)] }];
    await h.send('pull_request', payload);
    expect(h.aws.ecr.images).toEqual([]);
  });

  it('is a no-op the second time (redelivery)', async () => {
    h = await startHarness();
    h.aws.ecr.images = [{ digest: 'sha256:aa', tags: [branchImageTag('feature/login')] }];
    const id = '5a5a5a5a-0000-4000-8000-000000000001';
    expect((await h.send('delete', deleteBranch('feature/login'), { id })).status).toBe(200);
    expect((await h.send('delete', deleteBranch('feature/login'), { id })).status).toBe(200);
    expect(h.aws.ecr.images).toEqual([]);
    expect(h.aws.ecr.deleteBatches).toEqual([1]);
  });

  it.each([
    ['a tag', () => example('delete')],
    ['the default branch', () => deleteBranch('master')],
    [
      'a fork’s branch',
      () =>
        example('pull_request', 'closed', (p) => {
          p.pull_request.head.repo.full_name = 'mallory/Hello-World';
        }),
    ],
  ])('leaves ECR and the pipelines alone for %s', async (_what, payload) => {
    h = await startHarness();
    h.aws.ecr.images = [
      { digest: 'sha256:aa', tags: ['branch-master', 'branch-changes', 'branch-simple-tag'] },
    ];
    const p = payload();
    await h.send('pull_request' in p ? 'pull_request' : 'delete', p);
    expect(h.aws.ecr.listCalls).toBe(0);
    expect(h.aws.ecr.images).toHaveLength(1);
  });

  it('touches nothing of a repository this system does not build', async () => {
    h = await startHarness({ settings: { repository: 'acme/shop' } });
    h.aws.ecr.images = [{ digest: 'sha256:aa', tags: ['branch-feature-login'] }];
    await h.send('delete', deleteBranch('feature/login'));
    expect(h.aws.ecr.listCalls).toBe(0);
  });

  it('still stops executions when no ECR repository is configured, and logs why no image was deleted', async () => {
    h = await startHarness({ settings: { ecrRepository: undefined } });
    const e = h.aws.pipelines.execute(PIPELINES.feature, {
      sha: sha(1),
      owner: 'Codertocat',
      repo: 'Hello-World',
      branch: 'feature/login',
    });
    expect((await h.send('delete', deleteBranch('feature/login'))).status).toBe(200);
    expect(h.aws.pipelines.stopped.map((s) => s.executionId)).toEqual([e.id]);
    expect(h.logs.join('\n')).toContain('PIPEWARDEN_ECR_REPOSITORY is not set');
  });
});
