import { readFileSync } from 'node:fs';
import { describeIssues } from '../../findings/describe-zod-issues.js';
import { PipewardenError, errorMessage } from '../../findings/errors.js';
import { configSchema, type PipewardenConfig } from './schema.js';

/** Validates a parsed configuration; the error names the source, the field at fault and what it accepts. */
export function parseConfig(raw: unknown, source: string): PipewardenConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new PipewardenError(`${source}: ${describeIssues(result.error.issues)}`);
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
