import { describe, expect, it } from '@jest/globals';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { CONFIG_CACHE_TTL_MS, ConfigCache } from '../../bot/github/config-cache.js';
import type { GitHubClient } from '../../bot/github/repo-ref.js';
import { testKeyPair } from '../support/test-keys.js';

// The instance's memory of .github/pipewarden.yml (issue 16): a file or its absence for a few minutes, never
// an outage, and never an object the config plugin could change for the next reader.
describe('ConfigCache', () => {
  const clock = { now: 0 };
  const cache = () => new ConfigCache({ now: () => clock.now });
  const failing = (status: number) => async () => {
    throw Object.assign(new Error(`HTTP ${status}`), { status });
  };

  it('answers from memory until the time to live has passed, then reads again', async () => {
    const c = cache();
    let reads = 0;
    const read = async () => ({ data: `n: ${++reads}` });
    expect(await c.read('acme/app', read)).toEqual({ data: 'n: 1' });
    clock.now += CONFIG_CACHE_TTL_MS - 1;
    expect(await c.read('acme/app', read)).toEqual({ data: 'n: 1' });
    clock.now += 1;
    expect(await c.read('acme/app', read)).toEqual({ data: 'n: 2' });
    expect(c.fetches).toBe(2);
  });

  it('remembers a 404, not a server error or a rate limit', async () => {
    const c = cache();
    await expect(c.read('acme/.github', failing(404))).rejects.toMatchObject({ status: 404 });
    await expect(c.read('acme/.github', failing(500))).rejects.toMatchObject({ status: 404 });
    expect(c.fetches).toBe(1);
    for (const status of [500, 403]) {
      await expect(c.read(`acme/${status}`, failing(status))).rejects.toMatchObject({ status });
      expect(await c.read(`acme/${status}`, async () => 'read again')).toBe('read again');
    }
  });

  it('hands out copies: a reader that changes its answer does not change the next one', async () => {
    const c = cache();
    const first = (await c.read('acme/app', async () => ({ data: { _extends: 'other' } }))) as {
      data: Record<string, unknown>;
    };
    delete first.data._extends;
    expect(await c.read('acme/app', failing(500))).toEqual({ data: { _extends: 'other' } });
  });

  it('remembers only the default branch’s file: a read at another ref goes to GitHub and is not kept', async () => {
    const c = cache();
    const fetched: string[] = [];
    const octokit = new Octokit({
      request: {
        fetch: async (url: string) => {
          fetched.push(url);
          const text = new URL(url).searchParams.get('ref') ?? 'default branch';
          const body = { type: 'file', encoding: 'base64', content: Buffer.from(text).toString('base64') };
          return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
        },
      },
    });
    c.attach(octokit as unknown as GitHubClient, '.github/pipewarden.yml');
    const read = async (ref?: string) => {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        owner: 'acme',
        repo: 'app',
        path: '.github/pipewarden.yml',
        ...(ref ? { ref } : {}),
      });
      return Buffer.from((data as { content: string }).content, 'base64').toString();
    };
    expect(await read('pr-head')).toBe('pr-head');
    expect(await read()).toBe('default branch');
    expect(await read()).toBe('default branch');
    expect(await read('pr-head')).toBe('pr-head');
    expect(fetched).toHaveLength(3);
  });

  it('keeps each installation’s reads to itself: an App in two organisations never shares a file or a 404', async () => {
    const c = cache();
    const privateKey = testKeyPair('app').privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const fetched: string[] = [];
    // Installation 1 may read acme/shared (its organisation's private config); installation 2 may not.
    const client = (installationId: number) =>
      new Octokit({
        authStrategy: createAppAuth,
        auth: { appId: 4242, privateKey, installationId },
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
        request: {
          fetch: async (url: string, init: { headers: Record<string, string> }) => {
            const json = (status: number, body: unknown) =>
              new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
            if (url.endsWith('/access_tokens')) {
              const id = /installations\/(\d+)\//.exec(url)![1];
              return json(201, {
                token: `ghs_${id}`,
                expires_at: new Date(Date.now() + 3600_000).toISOString(),
              });
            }
            fetched.push(url);
            if (init.headers.authorization !== 'token ghs_1') return json(404, { message: 'Not Found' });
            const content = Buffer.from('secret: yes').toString('base64');
            return json(200, { type: 'file', encoding: 'base64', content });
          },
        },
      });
    const read = async (octokit: Octokit) => {
      try {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
          owner: 'acme',
          repo: 'shared',
          path: '.github/pipewarden.yml',
        });
        return Buffer.from((data as { content: string }).content, 'base64').toString();
      } catch (error) {
        return `HTTP ${(error as { status: number }).status}`;
      }
    };
    const [one, two] = [client(1), client(2)];
    c.attach(one as unknown as GitHubClient, '.github/pipewarden.yml');
    c.attach(two as unknown as GitHubClient, '.github/pipewarden.yml');
    expect(await read(one)).toBe('secret: yes');
    expect(await read(two)).toBe('HTTP 404');
    expect(await read(one)).toBe('secret: yes');
    expect(await read(two)).toBe('HTTP 404');
    // Each installation read once, then from memory.
    expect(fetched).toHaveLength(2);
  });
});
