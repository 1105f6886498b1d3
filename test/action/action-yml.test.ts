import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INPUT_NAMES } from '../../action/lib/parse-inputs.js';
import { root } from './fixtures/run-bundle.js';

interface Metadata {
  name?: unknown;
  description?: unknown;
  branding?: { icon?: unknown; color?: unknown };
  inputs?: Record<string, { description?: unknown; required?: unknown; default?: unknown }>;
  outputs?: Record<string, { description?: unknown }>;
  runs?: { using?: unknown; main?: unknown; post?: unknown; 'post-if'?: unknown };
}

const meta = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as Metadata;

describe('action.yml', () => {
  it('has what the runner and the Marketplace require', () => {
    expect(typeof meta.name).toBe('string');
    expect(String(meta.name).length).toBeGreaterThan(0);
    expect(typeof meta.description).toBe('string');
    expect(meta.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
  });

  // @action-validator/cli 0.6 still rejects node24 (its schema predates it): this test is the check.
  it('runs on node24, main and post bundles that exist in dist/', () => {
    expect(meta.runs?.using).toBe('node24');
    expect(meta.runs?.main).toBe('dist/action/index.js');
    expect(meta.runs?.post).toBe('dist/action/post/index.js');
    expect(existsSync(join(root, String(meta.runs?.main)))).toBe(true);
    expect(existsSync(join(root, String(meta.runs?.post)))).toBe(true);
    expect(meta.runs?.['post-if']).toBe('always()');
  });

  it('declares exactly the inputs the code reads, each described, only pipeline-name required', () => {
    expect(Object.keys(meta.inputs ?? {}).sort()).toEqual([...INPUT_NAMES].sort());
    for (const [name, input] of Object.entries(meta.inputs ?? {})) {
      expect([name, typeof input.description]).toEqual([name, 'string']);
      expect(String(input.description).length).toBeGreaterThan(20);
      expect([name, input.required]).toEqual([name, name === 'pipeline-name']);
    }
    expect(meta.inputs?.wait?.default).toBe('true');
    expect(meta.inputs?.['timeout-minutes']?.default).toBe('60');
    expect(meta.inputs?.['stop-on-cancel']?.default).toBe('true');
    // A fork's head is refused on pull_request_target unless a workflow says otherwise.
    expect(meta.inputs?.['allow-fork-head']?.default).toBe('false');
  });

  it('declares the outputs execution-id, status and url, each described', () => {
    expect(Object.keys(meta.outputs ?? {}).sort()).toEqual(['execution-id', 'status', 'url']);
    for (const output of Object.values(meta.outputs ?? {})) expect(typeof output.description).toBe('string');
  });

  it('takes no credentials as inputs', () => {
    expect(Object.keys(meta.inputs ?? {}).filter((n) => /key|secret|token|role|region/i.test(n))).toEqual([]);
  });
});
