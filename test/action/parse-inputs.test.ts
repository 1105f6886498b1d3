import { describe, expect, it } from '@jest/globals';
import { parseInputs, pollSettings, type RawInputs } from '../../action/lib/parse-inputs.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readEventContext,
  readEventHead,
  type ContextRead,
  type EventContext,
} from '../../action/lib/read-event-head.js';
import { example, fromDeletedFork, fromFork, prRun } from './fixtures/events.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const raw = (over: Partial<RawInputs> = {}): RawInputs => ({
  'pipeline-name': 'pipewarden-feature',
  'commit-sha': '',
  'source-action-name': '',
  variables: '',
  wait: '',
  'timeout-minutes': '',
  'stop-on-cancel': '',
  'allow-fork-head': '',
  ...over,
});
/** @actions/github's context as the runner gives it; `unreadable` when its event file could not be read. */
const ctx = (over: Partial<EventContext> = {}, unreadable?: string): ContextRead => ({
  context: { eventName: 'push', sha: SHA, ref: 'refs/heads/main', payload: {}, ...over },
  ...(unreadable ? { unreadable } : {}),
});
const env = ctx();

describe('parseInputs', () => {
  it('applies the documented defaults', () => {
    expect(parseInputs(raw(), env)).toEqual({
      pipelineName: 'pipewarden-feature',
      commitSha: SHA,
      sourceActionName: undefined,
      variables: [],
      wait: true,
      timeoutMinutes: 60,
      stopOnCancel: true,
    });
  });

  it('reads every input', () => {
    const upper = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
    expect(
      parseInputs(
        raw({
          'commit-sha': upper,
          'source-action-name': 'App_Source',
          variables: 'PULL_REQUEST=7',
          wait: 'False',
          'timeout-minutes': '2.5',
          'stop-on-cancel': 'FALSE',
        }),
        env,
      ),
    ).toEqual({
      pipelineName: 'pipewarden-feature',
      commitSha: upper.toLowerCase(),
      sourceActionName: 'App_Source',
      variables: [{ name: 'PULL_REQUEST', value: '7' }],
      wait: false,
      timeoutMinutes: 2.5,
      stopOnCancel: false,
    });
  });

  it("defaults commit-sha to the pull request's head, not the merge commit in GITHUB_SHA", () => {
    const head = 'f'.repeat(40);
    const payload = { pull_request: { number: 1, head: { sha: head } } };
    expect(parseInputs(raw(), ctx({ eventName: 'pull_request', payload })).commitSha).toBe(head);
    expect(parseInputs(raw(), ctx({ eventName: 'push', payload })).commitSha).toBe(SHA);
  });

  it("defaults commit-sha to a merge group's head_sha", () => {
    const group = example('merge_group', 'checks_requested');
    const head: string = group.merge_group.head_sha;
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(parseInputs(raw(), ctx({ eventName: 'merge_group', payload: group })).commitSha).toBe(head);
  });

  it.each([
    [
      { 'pipeline-name': '' },
      'pipewarden: input pipeline-name is required: the name of a CodePipeline V2 pipeline',
    ],
    [
      { 'pipeline-name': 'has space' },
      'pipewarden: input pipeline-name may only contain letters, digits, ., @, - and _',
    ],
    [{ 'pipeline-name': 'p'.repeat(101) }, 'input pipeline-name is longer than the 100 characters'],
    [
      { 'commit-sha': 'main' },
      'pipewarden: input commit-sha must be a full commit SHA (40 hex characters), e.g. ${{ github.sha }} (got "main")',
    ],
    [{ 'commit-sha': 'abc1234' }, 'input commit-sha must be a full commit SHA'],
    [{ 'source-action-name': 'a/b' }, 'input source-action-name may only contain'],
    [{ wait: 'yes' }, 'pipewarden: input wait must be true or false (got "yes")'],
    [{ 'stop-on-cancel': '1' }, 'input stop-on-cancel must be true or false'],
    [{ 'allow-fork-head': 'yes' }, 'pipewarden: input allow-fork-head must be true or false (got "yes")'],
    [
      { 'timeout-minutes': '0' },
      'pipewarden: input timeout-minutes must be a number of minutes above 0 and at most 10080 (got "0")',
    ],
    [{ 'timeout-minutes': 'soon' }, 'input timeout-minutes must be a number of minutes'],
    [{ 'timeout-minutes': '20000' }, 'input timeout-minutes must be a number of minutes'],
    [{ variables: 'X' }, 'pipewarden: variables line 1: "X" is not NAME=VALUE'],
  ])('rejects %j', (over, message) => {
    expect(() => parseInputs(raw(over as Partial<RawInputs>), env)).toThrow(message);
  });

  it('needs a commit when none is given and GITHUB_SHA is unset', () => {
    expect(() => parseInputs(raw(), ctx({ sha: '' }))).toThrow(
      'pipewarden: input commit-sha is empty and GITHUB_SHA is not set: pass the commit to start at',
    );
  });

  it('names the pipeline before anything else', () => {
    expect(() => parseInputs(raw({ 'pipeline-name': '', wait: 'maybe' }), ctx({ sha: '' }))).toThrow(
      /input pipeline-name/,
    );
  });
});

describe('the fork rule', () => {
  /** The environment of a workflow run on `event`, with `payload` as its event file. */
  const on = (event: string, payload: EventContext['payload']) => ({
    env: ctx({ eventName: event, payload }),
  });
  const pr = example('pull_request', 'synchronize');
  const HEAD: string = pr.pull_request.head.sha;
  const BASE: string = pr.pull_request.base.sha;
  const forkPr = example('pull_request', 'synchronize', fromFork);

  it("starts at a same-repository pull request's head on pull_request_target", () => {
    const { env: e } = on('pull_request_target', pr);
    expect(parseInputs(raw(), e)).toEqual({ ...parseInputs(raw(), env), commitSha: HEAD });
  });

  it("refuses a fork's head as the default commit-sha on pull_request_target, naming allow-fork-head", () => {
    const { env: e } = on('pull_request_target', forkPr);
    expect(() => parseInputs(raw(), e)).toThrow(
      `pipewarden: input allow-fork-head is false and the default commit-sha ${HEAD} is the head of pull request #2 from fork mallory/Hello-World on pull_request_target, a workflow holding Codertocat/Hello-World's secrets and AWS role: start pipelines for pull requests on pull_request, or set allow-fork-head: true only for a commit a maintainer has reviewed`,
    );
  });

  it("refuses an explicit commit-sha that is the fork's head, in any case, or its merge commit", () => {
    const { env: e } = on('pull_request_target', forkPr);
    expect(() => parseInputs(raw({ 'commit-sha': HEAD.toUpperCase() }), e)).toThrow(
      `pipewarden: input allow-fork-head is false and input commit-sha ${HEAD} is the head of pull request #2 from fork mallory/Hello-World on pull_request_target`,
    );
    const labeled = on('pull_request_target', example('pull_request', 'labeled', fromFork));
    const merge: string = example('pull_request', 'labeled').pull_request.merge_commit_sha;
    expect(merge).toMatch(/^[0-9a-f]{40}$/);
    expect(() => parseInputs(raw({ 'commit-sha': merge }), labeled.env)).toThrow(
      `input commit-sha ${merge} is the merge commit of pull request #2 from fork mallory/Hello-World`,
    );
  });

  it("starts at the base branch's commit of a fork's pull request: that code is reviewed", () => {
    const { env: e } = on('pull_request_target', forkPr);
    expect(parseInputs(raw({ 'commit-sha': BASE }), e).commitSha).toBe(BASE);
  });

  it('treats a deleted fork (head.repo null) as a fork', () => {
    const { env: e } = on('pull_request_target', example('pull_request', 'synchronize', fromDeletedFork));
    expect(() => parseInputs(raw(), e)).toThrow(
      `the default commit-sha ${HEAD} is the head of pull request #2 from a deleted fork on pull_request_target`,
    );
  });

  it("starts at a fork's head with allow-fork-head: true, and says so", () => {
    const { env: e } = on('pull_request_target', forkPr);
    const inputs = parseInputs(raw({ 'allow-fork-head': 'true' }), e);
    expect(inputs.commitSha).toBe(HEAD);
    expect(inputs.forkHeadAllowed).toBe(
      `the default commit-sha ${HEAD} is the head of pull request #2 from fork mallory/Hello-World; starting it on pull_request_target because allow-fork-head is true`,
    );
  });

  it("keeps today's behaviour on pull_request: GitHub gives a fork's run no secrets and no OIDC token", () => {
    const { env: e } = on('pull_request', forkPr);
    const inputs = parseInputs(raw(), e);
    expect(inputs.commitSha).toBe(HEAD);
    expect(inputs.forkHeadAllowed).toBeUndefined();
  });

  it('applies the same rule to a workflow_run triggered by a pull request', () => {
    const same = example('workflow_run', 'completed', prRun(false));
    const fork = example('workflow_run', 'completed', prRun(true));
    const runHead: string = same.workflow_run.head_sha;
    const a = on('workflow_run', same);
    expect(parseInputs(raw(), a.env).commitSha).toBe(runHead);
    const b = on('workflow_run', fork);
    expect(() => parseInputs(raw(), b.env)).toThrow(
      `pipewarden: input allow-fork-head is false and the default commit-sha ${runHead} is the head of the pull_request run ${fork.workflow_run.id} from fork mallory/octo-repo on workflow_run, a workflow holding octo-org/octo-repo's secrets and AWS role`,
    );
    expect(() => parseInputs(raw({ 'commit-sha': runHead }), b.env)).toThrow(
      `input commit-sha ${runHead} is the head of the pull_request run`,
    );
  });

  it('defaults to GITHUB_SHA on a workflow_run not triggered by a pull request', () => {
    const { env: e } = on('workflow_run', example('workflow_run', 'completed'));
    expect(parseInputs(raw(), e).commitSha).toBe(SHA);
  });

  it('fails closed when the event file of pull_request_target cannot be read by @actions/github', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipewarden-event-'));
    const path = join(dir, 'event.json');
    writeFileSync(path, '{not json');
    const saved = { ...process.env };
    Object.assign(process.env, {
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_EVENT_PATH: path,
      GITHUB_SHA: SHA,
    });
    try {
      expect(() => parseInputs(raw({ 'commit-sha': HEAD }))).toThrow(
        new RegExp(
          `^pipewarden: cannot tell whether input commit-sha ${HEAD} comes from a fork on pull_request_target: ${path}: .*JSON.*; fix the event file, or set input allow-fork-head: true only for a commit a maintainer has reviewed$`,
        ),
      );
      expect(parseInputs(raw({ 'commit-sha': HEAD, 'allow-fork-head': 'true' })).forkHeadAllowed).toMatch(
        /^pull_request_target event not readable \(.*event\.json: .*\); starting at [0-9a-f]{40} unchecked/,
      );
      process.env.GITHUB_EVENT_PATH = join(dir, 'gone.json');
      expect(() => parseInputs(raw())).toThrow(
        `cannot tell whether the default commit-sha ${SHA} comes from a fork on pull_request_target: ${join(dir, 'gone.json')} does not exist`,
      );
      delete process.env.GITHUB_EVENT_PATH;
      expect(() => parseInputs(raw())).toThrow(
        `cannot tell whether the default commit-sha ${SHA} comes from a fork on pull_request_target: GITHUB_EVENT_PATH is not set`,
      );
    } finally {
      for (const k of ['GITHUB_EVENT_NAME', 'GITHUB_EVENT_PATH', 'GITHUB_SHA']) delete process.env[k];
      Object.assign(process.env, saved);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the event through @actions/github's context: the payload, GITHUB_SHA and GITHUB_REF", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipewarden-event-'));
    const path = join(dir, 'event.json');
    const saved = { ...process.env };
    try {
      writeFileSync(path, JSON.stringify(example('pull_request', 'synchronize', fromFork)));
      Object.assign(process.env, { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_EVENT_PATH: path });
      const read = readEventContext();
      expect(read.unreadable).toBeUndefined();
      expect(readEventHead(read)).toMatchObject({
        kind: 'head',
        head: {
          sha: HEAD,
          repository: 'mallory/Hello-World',
          base: 'Codertocat/Hello-World',
          ref: 'changes',
        },
      });
      const group = example('merge_group', 'checks_requested');
      writeFileSync(path, JSON.stringify(group));
      Object.assign(process.env, { GITHUB_EVENT_NAME: 'merge_group' });
      expect(readEventHead(readEventContext())).toMatchObject({
        kind: 'head',
        head: { sha: group.merge_group.head_sha, ref: group.merge_group.head_ref, isDefault: true },
      });
      const push = example('push');
      writeFileSync(path, JSON.stringify(push));
      Object.assign(process.env, {
        GITHUB_EVENT_NAME: 'push',
        GITHUB_SHA: SHA,
        GITHUB_REF: 'refs/heads/main',
      });
      expect(readEventHead(readEventContext())).toMatchObject({
        kind: 'head',
        head: { sha: SHA, ref: 'refs/heads/main', repository: push.repository.full_name },
      });
    } finally {
      for (const k of ['GITHUB_EVENT_NAME', 'GITHUB_EVENT_PATH', 'GITHUB_SHA', 'GITHUB_REF'])
        delete process.env[k];
      Object.assign(process.env, saved);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pollSettings', () => {
  it('defaults to 1 s growing to 4 s, so a state change is noticed within 5 s', () => {
    expect(pollSettings({})).toEqual({ initialMs: 1000, maxMs: 4000 });
    expect(pollSettings({ PIPEWARDEN_POLL_MS: 'fast' })).toEqual({ initialMs: 1000, maxMs: 4000 });
  });
  it('takes PIPEWARDEN_POLL_MS=<first>[,<cap>]', () => {
    expect(pollSettings({ PIPEWARDEN_POLL_MS: '20' })).toEqual({ initialMs: 20, maxMs: 20 });
    expect(pollSettings({ PIPEWARDEN_POLL_MS: '20, 50' })).toEqual({ initialMs: 20, maxMs: 50 });
    expect(pollSettings({ PIPEWARDEN_POLL_MS: '50,10' })).toEqual({ initialMs: 50, maxMs: 50 });
  });
});
