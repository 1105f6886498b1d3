import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { findingsDocumentProblem } from '../../../findings/document/validate-document.js';
import { fetchBaseline } from '../../../findings/fetch/fetch-baseline.js';
import type { FindingsDocument } from '../../../findings/model/finding.js';
import { runCli } from '../cli/run-cli.js';
import { fixture } from '../helpers.js';
import { FakeAws } from '../../support/fake-aws.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-validate-'));
const env = { PIPEWARDEN_DEBUG: undefined, GITHUB_REPOSITORY: undefined, CODEBUILD_SRC_DIR: undefined };

/** A real document: what `report --format json` writes for a real Snyk report. */
async function realDocument(): Promise<FindingsDocument> {
  const out = join(dir, 'real.json');
  const { code } = await runCli(
    ['report', '--format', 'json', '--out', out, fixture('snyk/test-report-with-reachability.json')],
    env,
  );
  expect(code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as FindingsDocument;
}

type Mutate = (doc: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
const HOSTILE: [string, Mutate, string][] = [
  ['a numeric title', (d) => (d.findings[0].title = 5), 'findings[0].title must be string'],
  [
    'markup as the CVSS score',
    (d) => (d.findings[0].cvss = { score: '<img src=x>' }),
    'findings[0].cvss.score',
  ],
  [
    'a line 0',
    (d) => (d.findings[0].location = { path: 'a.js', startLine: 0 }),
    'findings[0].location.startLine',
  ],
  [
    'a fractional line',
    (d) => (d.findings[0].location = { path: 'a.js', startLine: 1.5 }),
    'startLine must be integer',
  ],
  [
    'an unknown severity',
    (d) => (d.findings[0].severity = 'constructor'),
    'findings[0].severity must be one of',
  ],
  ['no sources', (d) => (d.findings[0].sources = []), 'findings[0].sources'],
  ['an object as a warning', (d) => (d.warnings = [{ a: 1 }]), 'warnings[0] must be string'],
  [
    'a fixed finding without a title',
    (d) => (d.fixed = [{ ...d.findings[0], title: undefined }]),
    'fixed[0]',
  ],
];

describe('one findings-document validator, compiled from the committed schema', () => {
  it('accepts what pipewarden writes', async () => {
    expect(findingsDocumentProblem(await realDocument())).toBeUndefined();
  });

  it.each(HOSTILE)(
    '`report` refuses a document with %s, naming the file and the field',
    async (_what, mutate, path) => {
      const doc = JSON.parse(JSON.stringify(await realDocument())) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      mutate(doc);
      const file = join(dir, 'hostile.json');
      writeFileSync(file, JSON.stringify(doc));
      const { code, stdout, stderr } = await runCli(['report', '--format', 'markdown', file], env);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(file);
      expect(stderr).toContain(path);
      expect(stderr).not.toContain('charCodeAt');
    },
  );

  it('`gate` uses a broken baseline never: exit 2 naming it', async () => {
    const doc = (await realDocument()) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    doc.findings[0].title = 5;
    const baseline = join(dir, 'bad-baseline.json');
    writeFileSync(baseline, JSON.stringify(doc));
    const { code, stderr } = await runCli(
      ['gate', '--baseline', baseline, fixture('snyk/test-report-with-reachability.json')],
      env,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(`${baseline}: not a valid pipewarden findings document: findings[0].title`);
  });

  it('`publish --document` checks the document against the schema', async () => {
    const doc = (await realDocument()) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    doc.findings[0].cvss = { score: '9.8<img>' };
    const file = join(dir, 'bad-publish.json');
    writeFileSync(file, JSON.stringify(doc));
    const { code, stderr } = await runCli(
      [
        'publish',
        's3',
        '--bucket',
        'b',
        '--document',
        file,
        '--repo',
        'o/r',
        '--commit',
        'c'.repeat(40),
        '--branch',
        'main',
      ],
      { ...env, AWS_REGION: 'eu-west-1' },
    );
    expect(code).toBe(2);
    expect(stderr).toContain('findings[0].cvss.score must be number');
  });

  it('`fetch baseline` refuses a stored document that fails the schema', async () => {
    const doc = (await realDocument()) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    doc.findings[0].title = 5;
    const fake = await new FakeAws().start();
    fake.s3.buckets.add('b');
    fake.s3.objects.set('b/o/r/branches/main/latest.json', {
      body: Buffer.from(JSON.stringify(doc)),
      etag: '"1"',
      metadata: {},
    });
    const client = new S3Client({
      endpoint: fake.url,
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    try {
      await expect(fetchBaseline(client, { bucket: 'b', repo: 'o/r', branch: 'main' })).rejects.toThrow(
        /not a valid pipewarden findings document \(findings\[0\]\.title must be string\)/,
      );
    } finally {
      await fake.stop();
    }
  });
});
