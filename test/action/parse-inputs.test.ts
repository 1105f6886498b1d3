import { describe, expect, it } from '@jest/globals';
import { parseInputs, pollSettings, type RawInputs } from '../../action/lib/parse-inputs.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const raw = (over: Partial<RawInputs> = {}): RawInputs => ({
  'pipeline-name': 'pipewarden-feature',
  'commit-sha': '',
  'source-action-name': '',
  variables: '',
  wait: '',
  'timeout-minutes': '',
  'stop-on-cancel': '',
  ...over,
});
const env = { GITHUB_SHA: SHA, GITHUB_EVENT_NAME: 'push' };

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
    const prEnv = { ...env, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/event.json' };
    const read = (path: string) => {
      expect(path).toBe('/event.json');
      return JSON.stringify({ pull_request: { head: { sha: head } } });
    };
    expect(parseInputs(raw(), prEnv, read).commitSha).toBe(head);
    expect(parseInputs(raw(), prEnv, () => '{not json').commitSha).toBe(SHA);
    expect(parseInputs(raw(), { ...prEnv, GITHUB_EVENT_NAME: 'push' }, read).commitSha).toBe(SHA);
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
    expect(() => parseInputs(raw(), {})).toThrow(
      'pipewarden: input commit-sha is empty and GITHUB_SHA is not set: pass the commit to start at',
    );
  });

  it('names the pipeline before anything else', () => {
    expect(() => parseInputs(raw({ 'pipeline-name': '', wait: 'maybe' }), {})).toThrow(/input pipeline-name/);
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
