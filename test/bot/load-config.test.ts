import { describe, expect, it } from '@jest/globals';
import { loadConfigFor } from '../../bot/github/load-config.js';
import type { GitHubClient } from '../../bot/github/repo-ref.js';

const ref = { owner: 'acme', repo: 'shop' };
const client = (got: () => Promise<{ config: unknown; files: unknown[] }>) =>
  ({ config: { get: got } }) as unknown as GitHubClient;

describe('loadConfigFor: .github/pipewarden.yml through the config plugin', () => {
  it('counts each file the plugin read (the repository’s, then the owner’s .github)', async () => {
    const none = await loadConfigFor(
      client(async () => ({ config: null, files: [{ config: null }, { config: null }] })),
      ref,
    );
    expect(none.requests).toBe(2);
    expect(none.error).toBeUndefined();
    const own = await loadConfigFor(
      client(async () => ({ config: { gate: { failOn: 'critical' } }, files: [{}] })),
      ref,
    );
    expect(own.requests).toBe(1);
    expect(own.config.gate.failOn).toBe('CRITICAL');
  });

  it('names the field of a broken config and falls back to the defaults', async () => {
    const bad = await loadConfigFor(
      client(async () => ({ config: { gate: { failOn: 'sometimes' } }, files: [{}] })),
      ref,
    );
    expect(bad.error).toMatch(/gate\.failOn/);
    expect(bad.config.gate.failOn).toBe('HIGH');
  });

  it('lets a GitHub outage fail the caller, to be retried', async () => {
    const outage = Object.assign(new Error('Server Error'), { status: 502 });
    await expect(
      loadConfigFor(
        client(async () => {
          throw outage;
        }),
        ref,
      ),
    ).rejects.toBe(outage);
  });
});
