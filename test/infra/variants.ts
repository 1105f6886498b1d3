import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../infra/config/load-config.js';
import type { PipewardenConfig } from '../../infra/config/schema.js';
import { configWithRepositories } from '../../scripts/lib/generated-config.js';
import { fullConfig } from './synth.js';

/*
 * The configurations a single test file varies and reads without the rule packs (the app they vary has its
 * checks run elsewhere). Each is synthesized in a synth-cache child (test/support/synth-to-directory.ts), not
 * in the Jest worker of the test that reads it: there, loading aws-cdk-lib through Jest's module sandbox cost
 * ~4 s of CPU per file on top of the synthesis. Each test says in its own file what its variant changes.
 */

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const root = join(import.meta.dirname, '..', '..');
const rawExample = (): Json => JSON.parse(readFileSync(join(root, 'pipewarden.config.example.json'), 'utf8'));
const rawOrg = (): Json =>
  JSON.parse(readFileSync(join(root, 'examples', 'org', 'pipewarden.config.json'), 'utf8'));
/** examples/org with its first repository only (prefix acme): the variants' own syntheses cost a third. */
const rawOrgOneRepository = () => {
  const raw = rawOrg();
  raw.repositories = raw.repositories.slice(0, 1);
  return raw;
};

export const VARIANTS = {
  /** pipelines-safety: the example with the Security Hub enabled by this app, nothing published. */
  enableOnly: (): PipewardenConfig => {
    const raw = rawExample();
    raw.security = { enableSecurityHub: true, publishToSecurityHub: false, enableInspector: false };
    return parseConfig(raw, 'variant');
  },
  /** deploy-safety: the full configuration with production's alarm thresholds and a p99 latency alarm. */
  alarms: (): PipewardenConfig => {
    const raw = JSON.parse(JSON.stringify(fullConfig()));
    raw.environments.production.alarms = {
      target5xxPerMinute: 20,
      unhealthyTargets: 2,
      p99LatencySeconds: 1.5,
      evaluationMinutes: 3,
    };
    return parseConfig(raw, 'alarms.json');
  },
  /** regions: examples/org, one repository, staging in us-east-2 and production in the tooling region. */
  stagingUsEast2: (): PipewardenConfig => {
    const raw = rawOrgOneRepository();
    raw.environments.staging = {
      ...raw.environments.staging,
      region: 'us-east-2',
      availabilityZones: ['us-east-2a', 'us-east-2b'],
    };
    delete raw.environments.production.region;
    delete raw.environments.production.availabilityZones;
    return parseConfig(raw, 'staging in us-east-2');
  },
  /** regions: examples/org, one repository, every environment in aws.region. */
  oneRegion: (): PipewardenConfig => {
    const raw = rawOrgOneRepository();
    delete raw.environments.production.region;
    delete raw.environments.production.availabilityZones;
    return parseConfig(raw, 'one region');
  },
  /** repository-limits: examples/org (three accounts) with 1 and 2 generated repositories. */
  limitsOrg1: () => configWithRepositories(1, 'org'),
  limitsOrg2: () => configWithRepositories(2, 'org'),
  /** repository-limits: the example (one account) with 1 and 2 generated repositories. */
  limitsSingle1: () => configWithRepositories(1, 'single'),
  limitsSingle2: () => configWithRepositories(2, 'single'),
} satisfies Record<string, () => PipewardenConfig>;

export type VariantConfig = keyof typeof VARIANTS;
