import { describe, expect, it } from '@jest/globals';
import { CHECK_NAMES } from '../../bot/github/repo-ref.js';
import type { Execution } from './helpers/fake-aws.js';
import type { CheckRun } from './helpers/fake-github.js';
import { example, PIPELINES, type Harness } from './helpers/harness.js';
import { useHarness } from './helpers/use-harness.js';

let h: Harness;
let execution: Execution;
let run: CheckRun;
const base = example('check_run', 'requested_action');
const [owner, repo] = base.repository.full_name.split('/') as [string, string];
const sha: string = base.check_run.head_sha;

useHarness((started) => (h = started), {
  async setup(started) {
    started.github.installations.set(`${owner}/${repo}`, base.installation.id);
    started.github.permissions.set('maintainer', { permission: 'write', role_name: 'maintain' });
    started.github.permissions.set('developer', { permission: 'write', role_name: 'write' });
    started.github.permissions.set('reader', { permission: 'read', role_name: 'read' });
    // The main pipeline ran this commit through staging and waits at the manual approval.
    execution = started.aws.pipelines.execute(PIPELINES.main, { sha, owner, repo });
    started.aws.pipelines.progress(execution, 'Staging');
    started.aws.pipelines.setStage(execution, 'Approval', 'InProgress');
    await started.pipelineEvent('action', execution, 'STARTED', 'Approval');
    run = started.github.runs(CHECK_NAMES.pipeline, sha)[0]!;
  },
});

/** The real requested_action payload, pointed at our pipeline check and this button. */
function click(identifier: string, login: string) {
  return example('check_run', 'requested_action', (p) => {
    p.requested_action.identifier = identifier;
    p.sender.login = login;
    Object.assign(p.check_run, {
      id: run.id,
      name: run.name,
      external_id: run.external_id,
      status: run.status,
      conclusion: run.conclusion,
      output: { ...p.check_run.output, title: run.output.title, summary: run.output.summary },
    });
  });
}

const approval = () => execution.actions.find((a) => a.stage === 'Approval')!;

describe('buttons on the pipeline check', () => {
  it('offers Approve, Reject and Stop while the approval waits, within GitHub’s limits', () => {
    expect(run.status).toBe('in_progress');
    expect(run.actions.map((a) => a.identifier)).toEqual(['approve', 'reject', 'stop']);
    for (const a of run.actions) {
      expect(a.label.length).toBeLessThanOrEqual(20);
      expect(a.description.length).toBeLessThanOrEqual(40);
      expect(a.identifier.length).toBeLessThanOrEqual(20);
    }
    expect(run.output.title).toBe('Waiting for approval (Approval)');
  });

  it('approves for a maintainer with the token from GetPipelineState, and says who and when', async () => {
    expect((await h.send('check_run', click('approve', 'maintainer'))).status).toBe(200);
    expect(h.aws.pipelines.approvals).toEqual([
      {
        token: approval().token,
        status: 'Approved',
        summary: expect.stringMatching(/^Approved by maintainer on GitHub at \d{4}-/),
      },
    ]);
    expect(approval().status).toBe('Succeeded');
    const summary = run.output.summary!;
    expect(summary).toMatch(/✅ Approved by \*\*maintainer\*\* at \d{4}-\d\d-\d\dT/);
    expect(summary).toContain('Approved by maintainer on GitHub at'); // CodePipeline's record, in the table notes
    // Past the approval: only Stop remains.
    expect(run.actions.map((a) => a.identifier)).toEqual(['stop']);
  });

  it('refuses a developer (write < maintain), visibly, and does nothing', async () => {
    expect((await h.send('check_run', click('approve', 'developer'))).status).toBe(200);
    expect(h.aws.pipelines.approvals).toEqual([]);
    expect(approval().status).toBe('InProgress');
    expect(run.output.summary).toMatch(/^⛔ \*\*Approve\*\* by \*\*developer\*\* refused/);
    expect(run.output.summary).toContain('has the write permission');
    expect(run.output.summary).toContain('maintain');
    expect(run.status).toBe('in_progress');
  });

  it('refuses someone who is not a collaborator', async () => {
    await h.send('check_run', click('reject', 'stranger'));
    expect(h.aws.pipelines.approvals).toEqual([]);
    expect(run.output.summary).toMatch(/refused.*has the none permission/s);
  });

  it('lets a listed approver act whatever their role', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'approvals:\n  approvers: [Reader]\n');
    await h.send('check_run', click('approve', 'reader'));
    expect(h.aws.pipelines.approvals.map((a) => a.status)).toEqual(['Approved']);
    expect(run.output.summary).toContain('listed in approvals.approvers');
  });

  it('follows the permission the config requires', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'approvals:\n  permission: write\n');
    await h.send('check_run', click('reject', 'developer'));
    expect(h.aws.pipelines.approvals.map((a) => a.status)).toEqual(['Rejected']);
    expect(approval().status).toBe('Failed');
    expect(run.output.summary).toMatch(/🚫 Rejected by \*\*developer\*\*/);
  });

  it('refuses everyone while the config cannot be read', async () => {
    h.github.configs.set(`${owner}/${repo}`, 'approvals:\n  permission: owner\n');
    await h.send('check_run', click('approve', 'maintainer'));
    expect(h.aws.pipelines.approvals).toEqual([]);
    expect(run.output.summary).toMatch(/refused.*approvals\.permission/s);
  });

  it('stops the execution, which completes the check as cancelled without buttons', async () => {
    await h.send('check_run', click('stop', 'maintainer'));
    expect(h.aws.pipelines.stopped).toEqual([
      {
        pipeline: PIPELINES.main,
        executionId: execution.id,
        reason: expect.stringContaining('Stopped by maintainer'),
      },
    ]);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'cancelled', actions: [] });
    expect(run.output.summary).toMatch(/⏹️ Stopped by \*\*maintainer\*\*/);
  });

  it('a second Stop, or Stop on a finished execution, stops nothing more and says why (pipeline/stop-execution)', async () => {
    await h.send('check_run', click('stop', 'maintainer'));
    await h.send('check_run', click('stop', 'maintainer'));
    expect(h.aws.pipelines.stopped).toHaveLength(1);
    expect(run.output.summary).toMatch(
      /^ℹ️ \*\*Stop\*\* by \*\*maintainer\*\* at \S+: the execution is already stopping; nothing more was done\./,
    );
    const done = h.aws.pipelines.execute(PIPELINES.main, { sha, owner, repo });
    h.aws.pipelines.progress(done, 'Production');
    done.status = 'Succeeded';
    await h.send('check_run', {
      ...click('stop', 'maintainer'),
      check_run: {
        ...click('stop', 'maintainer').check_run,
        external_id: run.external_id!.replace(execution.id, done.id),
      },
    });
    expect(h.aws.pipelines.stopped).toHaveLength(1);
    expect(run.output.summary).toMatch(/the execution had already finished; nothing was done\./);
  });

  it('acts once for a redelivered click', async () => {
    const payload = click('approve', 'maintainer');
    const id = '1c4a2b00-0000-4000-8000-0000000000aa';
    await h.send('check_run', payload, { id });
    await h.send('check_run', payload, { id });
    expect(h.aws.pipelines.approvals).toHaveLength(1);
    expect(run.output.summary).toMatch(/already done|no approval of this execution is waiting/);
  });

  it('says so when no approval waits any more', async () => {
    approval().status = 'Succeeded';
    await h.send('check_run', click('approve', 'maintainer'));
    expect(h.aws.pipelines.approvals).toEqual([]);
    expect(run.output.summary).toContain('no approval of this execution is waiting');
  });

  it('ignores buttons of other checks and unknown identifiers', async () => {
    const foreign = example('check_run', 'requested_action'); // electron's own "API Review" check
    await h.send('check_run', foreign);
    await h.send('check_run', click('deploy-everything', 'maintainer'));
    expect(h.github.writes()).toHaveLength(1); // only the check written in beforeEach
    expect(h.aws.pipelines.approvals).toEqual([]);
  });
});
