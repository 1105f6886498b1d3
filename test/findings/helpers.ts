import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReport, type LoadedReport } from '../../findings/parse/parse-report.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixture(rel: string): string {
  return join(FIXTURES, rel);
}

export function readFixture(rel: string): unknown {
  return JSON.parse(readFileSync(fixture(rel), 'utf8'));
}

/** Parses an in-memory report the way the CLI parses a file (source root: the fixtures folder). */
export function parseJson(json: unknown, name = 'report.json', sourceRoot = '/src/repo'): LoadedReport {
  return parseReport(json, name, { sourceRoot });
}

export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}
