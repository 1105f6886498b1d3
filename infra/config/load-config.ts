import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { PipewardenError, errorMessage } from '../../findings/errors.js';
import { configSchema, type PipewardenConfig } from './schema.js';

/** Validates a parsed configuration; the error names the source, the field at fault and what it accepts. */
export function parseConfig(raw: unknown, source: string): PipewardenConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  // Every problem at once, still on one line: fixing a config one error per synth run is slow.
  const issues = result.error.issues;
  const count = issues.length > 1 ? `${issues.length} problems: ` : '';
  throw new PipewardenError(`${source}: ${count}${issues.map(describeIssue).join('; ') || 'invalid'}`);
}

/** Reads and validates a JSON configuration file. */
export function loadConfig(file: string): PipewardenConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PipewardenError(
      `${file}: cannot read the configuration (${errorMessage(error)}); pass an existing file with -c config=<file> or PIPEWARDEN_CONFIG`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PipewardenError(`${file}: not valid JSON (${errorMessage(error)}); fix the syntax`);
  }
  return parseConfig(raw, file);
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  const field = issue.path.length ? formatPath(issue.path) : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `invalid field "${field}": unknown key(s) ${issue.keys.join(', ')}; remove or fix the spelling`;
  }
  return `invalid field "${field}": ${issue.message}`;
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
