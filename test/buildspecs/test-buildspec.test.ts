import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { childrenNamed, parseXml } from '../findings/render/parse-xml.js';
import { loadBuildspec, runBuildspec, REPO } from './run-buildspec.js';

// A directory only: test.yml asks no AWS service and runs no pipewarden CLI (no useBuildspecRuns fakes).
const runDir = mkdtempSync(join(tmpdir(), 'pipewarden-test-yml-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

describe('test.yml build commands with a real Jest run', () => {
  it('runs the tests and leaves JUnit XML for the report group, failures included', async () => {
    const app = join(runDir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"app","private":true}\n');
    writeFileSync(
      join(app, 'math.test.js'),
      [
        "describe('math', () => {",
        "  test('adds', () => expect(1 + 1).toBe(2));",
        '  test(\'fails <politely> & "quotes"\', () => expect(1).toBe(2));',
        "  test.skip('skipped', () => {});",
        "  test.todo('later');",
        '});',
      ].join('\n'),
    );
    const jest = join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
    const result = await runBuildspec(loadBuildspec('test.yml'), {
      cwd: app,
      only: ['build'],
      env: {
        PIPEWARDEN_TEST_COMMAND: `node ${jest} --ci --config '{}' --rootDir ${app} --reporters=default --reporters=${join(REPO, 'buildspecs', 'junit-reporter.mjs')}`,
        NODE_OPTIONS: '',
      },
    });
    expect(result.status).toBe('FAILED');
    const xml = parseXml(readFileSync(join(app, 'reports', 'junit', 'jest.xml'), 'utf8'));
    expect(xml.attributes).toMatchObject({ tests: '4', failures: '1', errors: '0', skipped: '2' });
    const suite = childrenNamed(xml, 'testsuite')[0]!;
    expect(suite.attributes.name).toBe('math.test.js');
    const cases = childrenNamed(suite, 'testcase');
    expect(cases.map((c) => c.attributes.name)).toEqual([
      'adds',
      'fails <politely> & "quotes"',
      'skipped',
      'later',
    ]);
    expect(cases[1]!.attributes.classname).toBe('math.test.js › math');
    expect(childrenNamed(cases[1]!, 'failure')[0]!.text).toMatch(/Expected: 2/);
  }, 60_000);
});
