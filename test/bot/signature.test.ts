import { describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { randomUUID } from 'node:crypto';
import { example, WEBHOOK_SECRET, type Harness } from './helpers/harness.js';
import { useHarness } from './helpers/use-harness.js';

let h: Harness;
useHarness((started) => (h = started));

/** Nothing else happened: no GitHub request, no AWS call. */
function expectNothingHappened() {
  expect(h.github.requests).toEqual([]);
  expect(h.aws.pipelines.started).toEqual([]);
  expect(h.aws.ecr.listCalls).toBe(0);
}

describe('webhook signatures (X-Hub-Signature-256)', () => {
  const payload = () => example('pull_request', 'opened');

  it('answers 400 to a wrong signature, and does nothing else', async () => {
    const res = await h.send('pull_request', payload(), { signature: `sha256=${'ab'.repeat(32)}` });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/signature does not match/);
    expectNothingHappened();
  });

  it('answers 400 to a signature made with another secret', async () => {
    expect((await h.send('pull_request', payload(), { secret: 'not-the-secret' })).status).toBe(400);
    expectNothingHappened();
  });

  it('answers 400 to a missing signature, and does nothing else', async () => {
    const res = await h.send('pull_request', payload(), { signature: null });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/x-hub-signature-256/);
    expectNothingHappened();
  });

  it('answers 400 to a body changed after signing', async () => {
    const original = payload();
    const signature = await sign(WEBHOOK_SECRET, JSON.stringify(original));
    const tampered = {
      ...original,
      pull_request: {
        ...original.pull_request,
        head: { ...original.pull_request.head, sha: 'f'.repeat(40) },
      },
    };
    expect((await h.send('pull_request', tampered, { signature })).status).toBe(400);
    expectNothingHappened();
  });

  it('answers 400 to a correctly signed body that is not JSON', async () => {
    const body = '{"action": "opened",';
    const res = await fetch(h.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      },
      body,
    });
    expect(res.status).toBe(400);
    expectNothingHappened();
  });

  it('answers 405 to anything but POST', async () => {
    expect((await fetch(h.url)).status).toBe(405);
    expectNothingHappened();
  });

  it('answers 2xx to a correctly signed delivery, and acts on it', async () => {
    expect((await h.send('pull_request', payload())).status).toBe(200);
    // It read the repository's config (to learn whether the bot starts the pipeline).
    expect(h.github.requests.some((r) => r.template === '/repos/{owner}/{repo}/contents/{path}')).toBe(true);
  });
});
