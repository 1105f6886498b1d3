import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Probot } from 'probot';
import { parse } from 'yaml';
import { createApp } from '../../bot/app.js';
import { readSettings } from '../../bot/settings.js';
import { createAwsClients } from '../../bot/aws/create-aws-clients.js';

const manifest = parse(readFileSync(join(import.meta.dirname, '..', '..', 'app.yml'), 'utf8')) as {
  default_events: string[];
  default_permissions: Record<string, string>;
  public: boolean;
};

/** The webhook events the app subscribes to, from its own `app.on` calls. */
function subscribedEvents(): string[] {
  const names = new Set<string>();
  const app = {
    on: (events: string | string[]) => {
      for (const e of [events].flat()) names.add(e.split('.')[0]!);
    },
    log: { child: () => app.log, warn: () => undefined, info: () => undefined },
  };
  createApp({ settings: readSettings({}), aws: createAwsClients('eu-west-1') })(
    app as unknown as Probot,
    {} as never,
  );
  return [...names].sort();
}

describe('app.yml, the GitHub App manifest', () => {
  it('asks for exactly the events the app handles', () => {
    expect([...manifest.default_events].sort()).toEqual(subscribedEvents());
  });

  it('asks for the least permissions that work, and is private', () => {
    expect(manifest.default_permissions).toEqual({
      checks: 'write',
      pull_requests: 'write',
      contents: 'read',
      metadata: 'read',
      // Code scanning uploads (issue 15): used only where a repository's config turns them on.
      security_events: 'write',
    });
    expect(manifest.public).toBe(false);
  });
});
