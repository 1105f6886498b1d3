import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  loadTemplates,
  synthCacheKey,
  synthesizedDirectory,
  type SynthesizedTemplates,
} from './synth-cache.js';

// The shared synth cache gives the infra tests the example app's templates without synthesizing it in
// every test file: it must hold what an in-process synthesis holds, and be reused, not rebuilt.
let example: SynthesizedTemplates;
beforeAll(() => {
  example = loadTemplates('example');
}, 300_000); // the first run after a change synthesizes with every check (cdk-nag, Control Tower)

describe('the shared synth cache', () => {
  it('holds the example app: its eight stacks, checked, with no violation left', () => {
    expect(example.stackNames).toEqual([
      'pipewarden-bot',
      'pipewarden-infrastructure-pipeline',
      'pipewarden-network',
      'pipewarden-notifications',
      'pipewarden-pipelines',
      'pipewarden-production',
      'pipewarden-staging',
      'pipewarden-storage',
    ]);
    expect(example.violations()).toEqual([]);
  });

  it('serves each stack as an assertable template, as Template.fromStack would', () => {
    // The example creates the GitHub connection, left pending until the console handshake.
    example.template('pipewarden-storage').hasResource('AWS::CodeConnections::Connection', {
      Properties: { ConnectionName: 'pipewarden-github', ProviderType: 'GitHub' },
      DeletionPolicy: 'Retain',
    });
    example.template('pipewarden-network').resourceCountIs('AWS::EC2::NatGateway', 0);
    expect(() => example.template('pipewarden-nothing')).toThrow(/no stack pipewarden-nothing in /);
  });

  it('is reused, not synthesized again, while the sources are unchanged', () => {
    const manifest = join(example.directory, 'manifest.json');
    const before = statSync(manifest);
    const again = synthesizedDirectory('example');
    expect(again).toBe(example.directory);
    expect(statSync(manifest).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(manifest).ino).toBe(before.ino);
  });

  it('keys each configuration apart', () => {
    expect(synthCacheKey('example')).toMatch(/^[0-9a-f]{16}$/);
    expect(synthCacheKey('full')).not.toBe(synthCacheKey('example'));
  });
});
