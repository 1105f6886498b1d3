import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadBuildspec, PHASES, REPO, type Buildspec } from './run-buildspec.js';

/** The platform's buildspecs: infra/ inlines them into the security projects (never read from the source). */
const PLATFORM = ['scan.yml', 'image.yml', 'gate.yml', 'gate-ci.yml', 'infra-synth.yml'];
/** test.yml is an example of a service repository's own test buildspec (build.testBuildspec). */
const FILES = ['test.yml', ...PLATFORM];

// ---------------------------------------------------------------- buildspec 0.2 grammar

const ON_FAILURE = /^(ABORT|CONTINUE|RETRY(-\d+)?(-.+)?)$/;
const FILE_FORMATS = [
  'CUCUMBERJSON',
  'JUNITXML',
  'NUNITXML',
  'NUNIT3XML',
  'TESTNGXML',
  'VISUALSTUDIOTRX',
  'CLOVERXML',
  'COBERTURAXML',
  'JACOCOXML',
  'SIMPLECOV',
];
const KEYS = {
  top: ['version', 'run-as', 'env', 'proxy', 'batch', 'phases', 'reports', 'artifacts', 'cache'],
  env: [
    'shell',
    'variables',
    'parameter-store',
    'exported-variables',
    'secrets-manager',
    'git-credential-helper',
  ],
  phase: ['run-as', 'on-failure', 'runtime-versions', 'commands', 'finally'],
  report: ['files', 'base-directory', 'discard-paths', 'file-format'],
  artifacts: [
    'files',
    'name',
    'discard-paths',
    'base-directory',
    'exclude-paths',
    'enable-symlinks',
    's3-prefix',
    'secondary-artifacts',
  ],
  cache: ['key', 'fallback-keys', 'action', 'paths'],
};

/** Every key used is one buildspec version 0.2 defines, in the place it defines it. */
function grammarErrors(spec: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const only = (where: string, value: unknown, allowed: string[]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${where}: not a mapping`);
      return;
    }
    for (const k of Object.keys(value))
      if (!allowed.includes(k)) errors.push(`${where}.${k}: not a buildspec 0.2 key`);
  };
  const strings = (where: string, value: unknown) => {
    if (!Array.isArray(value) || !value.every((c) => typeof c === 'string' && c.trim() !== ''))
      errors.push(`${where}: not a list of commands`);
  };
  only('(root)', spec, KEYS.top);
  if (String(spec.version) !== '0.2') errors.push(`version: ${String(spec.version)}, not 0.2`);
  if (spec.env) {
    only('env', spec.env, KEYS.env);
    const env = spec.env as Record<string, unknown>;
    for (const k of ['variables', 'parameter-store', 'secrets-manager'])
      if (env[k] !== undefined)
        for (const [name, v] of Object.entries(env[k] as object))
          if (typeof v !== 'string') errors.push(`env.${k}.${name}: not a string (quote it)`);
  }
  const phases = (spec.phases ?? {}) as Record<string, Record<string, unknown>>;
  only('phases', phases, PHASES);
  for (const [name, phase] of Object.entries(phases)) {
    only(`phases.${name}`, phase, KEYS.phase);
    if (phase['runtime-versions'] && name !== 'install')
      errors.push(`phases.${name}.runtime-versions: install only`);
    if (phase['on-failure'] !== undefined && !ON_FAILURE.test(String(phase['on-failure'])))
      errors.push(`phases.${name}.on-failure: ${String(phase['on-failure'])}`);
    if (phase.commands !== undefined) strings(`phases.${name}.commands`, phase.commands);
    if (phase.finally !== undefined) strings(`phases.${name}.finally`, phase.finally);
  }
  for (const [name, report] of Object.entries(
    (spec.reports ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    only(`reports.${name}`, report, KEYS.report);
    if (report['file-format'] !== undefined && !FILE_FORMATS.includes(String(report['file-format'])))
      errors.push(`reports.${name}.file-format: ${String(report['file-format'])}`);
    strings(`reports.${name}.files`, report.files);
  }
  if (spec.artifacts) {
    only('artifacts', spec.artifacts, KEYS.artifacts);
    strings('artifacts.files', (spec.artifacts as Record<string, unknown>).files);
  }
  if (spec.cache) only('cache', spec.cache, KEYS.cache);
  return errors;
}

const allCommands = (spec: Buildspec) =>
  Object.values(spec.phases ?? {}).flatMap((p) => [...(p?.commands ?? []), ...(p?.finally ?? [])]);

describe('buildspecs', () => {
  it.each(FILES)('%s parses and uses only buildspec 0.2 keys', (file) => {
    const text = readFileSync(join(REPO, 'buildspecs', file), 'utf8');
    const spec = parse(text) as Record<string, unknown>;
    expect(grammarErrors(spec)).toEqual([]);
  });

  it('rejects what is not buildspec 0.2 (the check above can fail)', () => {
    expect(
      grammarErrors({
        version: 0.1,
        phases: { build: { commands: ['x'], steps: [] }, deploy: {} },
        reports: { r: { files: ['a'], 'file-format': 'XML' } },
        env: { variables: { PORT: 8080 } },
      }),
    ).toEqual([
      'version: 0.1, not 0.2',
      'env.variables.PORT: not a string (quote it)',
      'phases.deploy: not a buildspec 0.2 key',
      'phases.build.steps: not a buildspec 0.2 key',
      'reports.r.file-format: XML',
    ]);
  });

  it('print the tool versions, keep their artifacts, and cache what they install', () => {
    for (const file of FILES) {
      const spec = loadBuildspec(file);
      const text = allCommands(spec).join('\n');
      expect(text).not.toMatch(/npx (--\S+ )*pipewarden|tsx |ts-node|npm (i|install) .*pipewarden/);
      expect(text).toMatch(/tool-versions\.txt/);
      if (/npm (ci|install)|curl /.test(text)) expect(spec.cache?.paths?.length).toBeGreaterThan(0);
      // Artifacts are kept from a directory every run writes to (the versions file at least).
      expect(spec.artifacts?.files).toEqual(['**/*']);
      // Node 20 is end of life; CodeBuild's standard image runs 22.
      expect(spec.phases?.install?.['runtime-versions']?.nodejs).toBe(22);
    }
  });

  it.each(PLATFORM)(
    '%s runs only the pinned CLI: fetched from the deployment, sha256-checked in install, never dist/cli',
    (file) => {
      const spec = loadBuildspec(file);
      const text = allCommands(spec).join('\n');
      expect(text).not.toMatch(/dist\/cli/);
      const install = (spec.phases?.install?.commands ?? []).join('\n');
      expect(install).toContain('aws s3 cp --only-show-errors "$PIPEWARDEN_CLI_URL" "$PIPEWARDEN_CLI"');
      expect(install).toContain('echo "$PIPEWARDEN_CLI_SHA256  $PIPEWARDEN_CLI" | sha256sum -c -');
      // Every CLI call (gate, report, publish, fetch, --version) goes through the checked copy.
      const calls = text.match(
        /\S*\s+\S*\s*(gate|report|publish|fetch) (--|baseline|inspector|s3|securityhub)/g,
      );
      for (const call of calls ?? []) expect(call).toMatch(/^node "\$PIPEWARDEN_CLI"/);
      expect(text.match(/node "\$PIPEWARDEN_CLI"/g)?.length).toBeGreaterThan(0);
    },
  );

  it('the feature gate applies the base policy, publishes only its execution and never to Security Hub', () => {
    const text = allCommands(loadBuildspec('gate-ci.yml')).join('\n');
    expect(text).toContain('fetch baseline --out out/baseline.json --policy-out out/base-policy.yml');
    expect(text).toContain('--config out/base-policy.yml');
    expect(text).toContain('--proposed-config "$CODEBUILD_SRC_DIR/.github/pipewarden.yml"');
    expect(text).toContain('publish s3 --document out/findings.json --execution-only');
    expect(text).not.toMatch(/publish securityhub/);
    // gate.yml is the main pipeline's only: no feature switch left in it.
    expect(allCommands(loadBuildspec('gate.yml')).join('\n')).not.toMatch(
      /PIPEWARDEN_PIPELINE_KIND|--execution-only/,
    );
  });

  it('never print the Snyk token, nor trace commands', () => {
    for (const file of FILES) {
      const spec = loadBuildspec(file);
      const text = allCommands(spec).join('\n');
      expect(text).not.toMatch(/set -x|set -o xtrace|bash -x/);
      expect(text).not.toMatch(/(echo|printf|tee|cat)[^\n]*SNYK_TOKEN/);
      expect(text).not.toMatch(/--token|snyk auth/);
      expect(Object.keys(spec.env?.variables ?? {})).not.toContain('SNYK_TOKEN');
    }
  });

  it('send JUnit to the report groups the CDK declares (infra: reports tests / findings)', () => {
    expect(Object.keys(loadBuildspec('test.yml').reports ?? {})).toEqual(['tests']);
    expect(Object.keys(loadBuildspec('gate.yml').reports ?? {})).toEqual(['findings']);
    expect(Object.keys(loadBuildspec('gate-ci.yml').reports ?? {})).toEqual(['findings']);
    expect(Object.keys(loadBuildspec('infra-synth.yml').reports ?? {})).toEqual(['findings']);
    for (const f of ['test.yml', 'gate.yml', 'gate-ci.yml', 'infra-synth.yml'])
      for (const r of Object.values(loadBuildspec(f).reports ?? {}))
        expect(r['file-format']).toBe('JUNITXML');
  });
});
