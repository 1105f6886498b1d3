import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { buildOnce, buildTogetherOnce } from './build-once.js';
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
}, 900_000); // the first run after a change synthesizes with every check (cdk-nag, Control Tower), as example.test.ts allows

describe('the shared synth cache', () => {
  it('serves each stack as an assertable template, as Template.fromStack would', () => {
    // The example creates the GitHub connection, left pending until the console handshake.
    example.template('pipewarden-storage').hasResource('AWS::CodeConnections::Connection', {
      Properties: { ConnectionName: 'pipewarden-github', ProviderType: 'GitHub' },
      DeletionPolicy: 'Retain',
    });
    example.template('pipewarden-network').resourceCountIs('AWS::EC2::NatGateway', 0);
    expect(() => example.template('pipewarden-nothing')).toThrow(/no stack pipewarden-nothing in /);
  });

  it('names each stack as addPipewardenStacks returned it, with the logical ids of the resources it exposes', () => {
    expect(example.stacks.storage.stackName).toBe('pipewarden-storage');
    expect(example.stacks.repositories.map((r) => r.pipelines.stackName)).toEqual(['pipewarden-pipelines']);
    const findings = example.stacks.storage.logicalIds.findingsBucket!;
    expect(example.template(example.stacks.storage).toJSON().Resources[findings].Type).toBe(
      'AWS::S3::Bucket',
    );
    expect(example.assembly.stacks.map((s) => s.stackName).sort()).toEqual(example.stackNames);
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

describe('buildOnce', () => {
  it('builds a key once when several processes (Jest workers) ask for it together', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pw-build-once-'));
    const directory = join(work, 'built');
    // Each process builds slowly (1 s) and records that it built; all must find the directory complete.
    const script = `
      const { buildOnce } = await import(${JSON.stringify(join(import.meta.dirname, 'build-once.ts'))});
      const { appendFileSync, writeFileSync, readFileSync } = await import('node:fs');
      buildOnce(${JSON.stringify(directory)}, (into) => {
        appendFileSync(${JSON.stringify(join(work, 'builds'))}, process.pid + '\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
        writeFileSync(into + '/done', 'yes');
      });
      process.stdout.write(readFileSync(${JSON.stringify(join(directory, 'done'))}, 'utf8'));`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, NODE_OPTIONS: '' },
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      });
    expect(await Promise.all([run(), run(), run()])).toEqual(['yes', 'yes', 'yes']);
    expect(readFileSync(join(work, 'builds'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readdirSync(work).sort()).toEqual(['builds', 'built']); // no lock or partial copy left
  }, 120_000);

  it('keeps the directory another process built meanwhile (its lock taken over as stale), without failing', () => {
    const work = mkdtempSync(join(tmpdir(), 'pw-build-once-'));
    const directory = join(work, 'built');
    // The other builder finishes while this one builds: the same sources, so either result is right.
    buildOnce(directory, (into) => {
      mkdirSync(directory);
      writeFileSync(join(directory, 'done'), 'first');
      writeFileSync(join(into, 'done'), 'second');
    });
    expect(readFileSync(join(directory, 'done'), 'utf8')).toBe('first');
    expect(readdirSync(work)).toEqual(['built']); // no lock or partial copy left
  });

  it('takes over a lock its owner left when it died, and leaves no lock behind', () => {
    const work = mkdtempSync(join(tmpdir(), 'pw-build-once-'));
    const directory = join(work, 'built');
    writeFileSync(`${directory}.lock`, '2147483646'); // no such process
    buildOnce(directory, (into) => writeFileSync(join(into, 'done'), 'yes'));
    expect(readFileSync(join(directory, 'done'), 'utf8')).toBe('yes');
    expect(readdirSync(work)).toEqual(['built']);
  });

  it('builds the companions nobody else builds or built in the same build, each in place once complete', () => {
    const work = mkdtempSync(join(tmpdir(), 'pw-build-once-'));
    const [main, free, built, busy] = ['main', 'free', 'built', 'busy'].map((d) => join(work, d)) as [
      string,
      string,
      string,
      string,
    ];
    mkdirSync(built);
    writeFileSync(`${busy}.lock`, String(process.ppid)); // another live process builds it
    const seen: string[][] = [];
    buildTogetherOnce(main, [free, built, busy], (targets) => {
      seen.push(targets.map((t) => t.directory));
      for (const t of targets) {
        writeFileSync(join(t.building, 'done'), t.directory);
        renameSync(t.building, t.directory);
        // What is complete is there at once, for the processes waiting for it.
        expect(readFileSync(join(t.directory, 'done'), 'utf8')).toBe(t.directory);
      }
    });
    expect(seen).toEqual([[main, free]]);
    // Only the other process's lock is left; nothing half-built.
    expect(readdirSync(work).sort()).toEqual(['built', 'busy.lock', 'free', 'main']);
  });

  it('discards a companion the build left unfinished, and releases its lock', () => {
    const work = mkdtempSync(join(tmpdir(), 'pw-build-once-'));
    const [main, companion] = [join(work, 'main'), join(work, 'companion')];
    buildTogetherOnce(main, [companion], ([first]) => renameSync(first!.building, first!.directory));
    expect(readdirSync(work).sort()).toEqual(['main']);
  });
});
