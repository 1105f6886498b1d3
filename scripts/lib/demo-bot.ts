// The bot part of `npm run demo`: the Probot app as deployed (the Lambda's webhook door, real App auth with
// a generated key) receives a real, signed pull_request.opened delivery (@octokit/webhooks-examples) and
// then the CodePipeline events of the run it started, against a local GitHub that checks every request
// against GitHub's OpenAPI description and a local CodePipeline/S3. What it would post is written to
// <out>/: the two check runs, the PR comment, and every GitHub request it made.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import { executionFindingsKey } from '../../findings/store/store-layout.js';
import { realDocument } from '../../test/bot/helpers/findings.js';
import { example, startHarness } from '../../test/bot/helpers/harness.js';

const out = process.argv[2] ?? join('out', 'bot');
mkdirSync(out, { recursive: true });

const h = await startHarness({ server: 'lambda' });
try {
  const pr = example('pull_request', 'opened');
  const repo: string = pr.repository.full_name;
  const sha: string = pr.pull_request.head.sha;
  const number: number = pr.pull_request.number;
  h.github.installations.set(repo, pr.installation.id);
  h.github.pulls.set(sha, [{ number, state: 'open', head: { sha } }]);
  h.github.configs.set(repo, 'pipeline:\n  startOnPullRequest: true\n');

  const delivery = await h.send('pull_request', pr);
  if (delivery.status !== 200)
    throw new Error(`demo: the webhook answered ${delivery.status} ${delivery.body}`);
  const execution = [...h.aws.pipelines.executions.values()].at(-1);
  if (!execution) throw new Error('demo: the bot started no pipeline for the pull request');
  console.log(
    `   pull_request.opened #${number} of ${repo} (signed delivery) → checks queued, ${execution.pipeline} started at ${sha.slice(0, 7)}`,
  );

  // The run goes on in CodePipeline; its gate writes the engine's document at this execution's key.
  await h.pipelineEvent('execution', execution, 'STARTED');
  h.aws.s3.objects.set(
    executionFindingsKey(repo, execution.pipeline, execution.id),
    JSON.stringify(
      realDocument({
        repo,
        commit: sha,
        branch: pr.pull_request.head.ref,
        pullRequest: number,
        pipeline: execution.pipeline,
        pipelineExecutionId: execution.id,
      }),
    ),
  );
  h.aws.pipelines.progress(execution, 'Gate');
  await h.pipelineEvent('stage', execution, 'SUCCEEDED', 'Gate');
  execution.status = 'Succeeded';
  await h.pipelineEvent('execution', execution, 'SUCCEEDED');

  const runs = h.github.runs(undefined, sha);
  const comment = h.github.comments.find((c) => c.issue === number);
  writeFileSync(join(out, 'check-runs.json'), JSON.stringify(runs, null, 2));
  writeFileSync(join(out, 'comment.md'), comment?.body ?? '');
  writeFileSync(
    join(out, 'github-requests.json'),
    JSON.stringify(
      h.github.requests.map((r) => ({ method: r.method, path: r.path, template: r.template, body: r.body })),
      null,
      2,
    ),
  );
  for (const name of [CHECK_NAMES.pipeline, CHECK_NAMES.security]) {
    const run = runs.find((r) => r.name === name);
    console.log(
      `   ${name.padEnd(22)} ${run?.status}/${run?.conclusion ?? '-'}: ${run?.output.title ?? ''}${run?.annotations.length ? ` (${run.annotations.length} annotations)` : ''}`,
    );
  }
  console.log(`   PR comment: ${comment ? `${comment.body.length} characters` : 'none'}`);
  console.log(
    `   ${h.github.requests.length} GitHub requests, ${h.github.violations.length} OpenAPI violations → ${out}/`,
  );
  if (h.github.violations.length)
    throw new Error(`demo: requests GitHub would refuse:\n${h.github.violations.join('\n')}`);
  if (!comment || !runs.some((r) => r.name === CHECK_NAMES.security && r.status === 'completed'))
    throw new Error('demo: the security check or the comment is missing');
} finally {
  await h.close();
}
