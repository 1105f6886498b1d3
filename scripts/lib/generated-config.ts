import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../infra/config/load-config.js';
import type { PipewardenConfig } from '../../infra/config/schema.js';

const root = join(import.meta.dirname, '..', '..');
const BASES = {
  /** examples/org: tooling, staging and production in three accounts. */
  org: join(root, 'examples', 'org', 'pipewarden.config.json'),
  /** The committed example: everything in one account. */
  single: join(root, 'pipewarden.config.example.json'),
} as const;
export type ConfigBase = keyof typeof BASES;

/** A generated repository entry: the first keeps the unprefixed names, as a deployment that grew from one. */
const entry = (i: number) => ({ owner: 'acme-corp', name: `service-${i}`, id: i === 0 ? '' : `s${i}` });

/** `base` with `count` generated repositories, as written in a file (for what the schema accepts). */
export function rawConfigWithRepositories(count: number, base: ConfigBase = 'org'): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(BASES[base], 'utf8'));
  raw.repositories = Array.from({ length: count }, (_, i) => entry(i));
  delete raw.repository;
  return raw;
}

/**
 * `base` with `count` generated repositories, built in memory: large configurations are measured
 * (scripts/measure-repository-limits.ts), never committed. Validated with one repository and then widened,
 * so that counts beyond the schema's cap can be synthesized to find where the stacks break.
 */
export function configWithRepositories(count: number, base: ConfigBase = 'org'): PipewardenConfig {
  const config = parseConfig(rawConfigWithRepositories(1, base), `generated config (${base})`);
  const [first] = config.repositories;
  return {
    ...config,
    repositories: Array.from({ length: count }, (_, i) => ({ ...first!, ...entry(i) })),
  };
}
