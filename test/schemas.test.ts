import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseRepoConfig } from '../findings/config/repo-config.js';
import { parseConfig } from '../infra/config/load-config.js';
import { generateSchemas, SCHEMA_FILES } from '../scripts/generate-schemas.js';

/**
 * The editor schemas in schemas/ are generated from the zod schemas (npm run schemas): committed files that
 * differ from a fresh generation fail here, and the examples the docs point to are valid under both the
 * JSON Schema an editor uses and the zod schema pipewarden uses.
 */
const read = (file: string) => readFileSync(file, 'utf8');
const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const repoSchema = ajv.compile(JSON.parse(read(SCHEMA_FILES.repoConfig)) as object);
const infraSchema = ajv.compile(JSON.parse(read(SCHEMA_FILES.infraConfig)) as object);

describe('schemas/', () => {
  it('matches what npm run schemas generates from the zod schemas', async () => {
    const generated = await generateSchemas();
    expect(Object.keys(generated).sort()).toEqual(Object.values(SCHEMA_FILES).sort());
    for (const [file, text] of Object.entries(generated)) {
      // One line of fix in the message: regenerate, do not edit.
      expect({ file, upToDate: read(file) === text }).toEqual({ file, upToDate: true });
    }
  });

  it('examples/pipewarden.yml names its schema and is valid under it and under zod', () => {
    const text = read('examples/pipewarden.yml');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/pipewarden.yml.schema.json');
    const value = parse(text) as unknown;
    expect(repoSchema(value) ? [] : repoSchema.errors).toEqual([]);
    expect(() => parseRepoConfig(value, 'examples/pipewarden.yml')).not.toThrow();
  });

  it('pipewarden.config.example.json names its schema and is valid under it and under the CDK app', () => {
    const value = JSON.parse(read('pipewarden.config.example.json')) as Record<string, unknown>;
    expect(value.$schema).toBe('./schemas/pipewarden.config.schema.json');
    expect(infraSchema(value) ? [] : infraSchema.errors).toEqual([]);
    expect(() => parseConfig(value, 'pipewarden.config.example.json')).not.toThrow();
  });

  it.each([
    ['a misspelt key', { gate: { failon: 'high' } }],
    ['an unknown severity', { annotations: { minSeverity: 'urgent' } }],
    ['a suppression without a reason', { suppressions: [{ rule: 'X' }] }],
    ['a comment mode that does not exist', { comment: { mode: 'sometimes' } }],
  ])('.github/pipewarden.yml: %s is refused by the editor schema and by pipewarden', (_, value) => {
    expect(repoSchema(value)).toBe(false);
    expect(() => parseRepoConfig(value)).toThrow();
  });

  it.each([
    [
      'lower-case',
      { gate: { failOn: 'critical' }, suppressions: [{ rule: 'X', reason: 'ok', expires: '2027-01-31' }] },
    ],
    ['upper-case', { gate: { failOn: 'CRITICAL' }, annotations: { minSeverity: 'MEDIUM', max: 10 } }],
  ])('.github/pipewarden.yml: %s severities and dates are accepted by both', (_, value) => {
    expect(repoSchema(value) ? [] : repoSchema.errors).toEqual([]);
    expect(() => parseRepoConfig(value)).not.toThrow();
  });

  it('pipewarden.config.json: an unknown top-level key is refused by both', () => {
    const value = { ...(JSON.parse(read('pipewarden.config.example.json')) as object), regoin: 'eu-west-1' };
    expect(infraSchema(value)).toBe(false);
    expect(() => parseConfig(value, 'pipewarden.config.json')).toThrow(/regoin/);
  });
});
