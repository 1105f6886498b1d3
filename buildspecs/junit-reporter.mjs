// A Jest reporter that writes JUnit XML for a CodeBuild report group (buildspecs/test.yml): one <testsuite>
// per test file, one <testcase> per test, <failure> with the message, <skipped/> for skipped and todo tests,
// and an <error> case for a file that could not run. Output: $PIPEWARDEN_JUNIT_DIR/jest.xml (reports/junit).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// XML 1.0 cannot hold most control characters; terminal colours are noise in a report.
const INVALID_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function xmlEscape(text) {
  return String(text)
    .replace(ANSI, '')
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms) => ((ms ?? 0) / 1000).toFixed(3);

/** The JUnit XML for Jest's aggregated results. */
export function junitXml(results, rootDir = process.cwd()) {
  const suites = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const file of results.testResults ?? []) {
    const name = relative(rootDir, file.testFilePath ?? '') || String(file.testFilePath);
    const cases = [];
    let f = 0;
    let s = 0;
    let e = 0;
    for (const t of file.testResults ?? []) {
      const attrs = `classname="${xmlEscape([name, ...(t.ancestorTitles ?? [])].join(' › '))}" name="${xmlEscape(t.title)}" time="${seconds(t.duration)}"`;
      if (t.status === 'failed') {
        f++;
        const message = (t.failureMessages ?? []).join('\n');
        cases.push(
          `    <testcase ${attrs}>\n      <failure message="${xmlEscape(message.split('\n')[0] ?? '')}">${xmlEscape(message)}</failure>\n    </testcase>`,
        );
      } else if (t.status === 'passed') cases.push(`    <testcase ${attrs}/>`);
      else {
        s++;
        cases.push(
          `    <testcase ${attrs}>\n      <skipped message="${xmlEscape(t.status)}"/>\n    </testcase>`,
        );
      }
    }
    if (file.testExecError || (file.failureMessage && !(file.testResults ?? []).length)) {
      e++;
      const message = file.testExecError?.message ?? file.failureMessage ?? 'the test file could not run';
      cases.push(
        `    <testcase classname="${xmlEscape(name)}" name="(test file)" time="0.000">\n      <error message="${xmlEscape(String(message).split('\n')[0])}">${xmlEscape(message)}</error>\n    </testcase>`,
      );
    }
    const count = cases.length;
    tests += count;
    failures += f;
    errors += e;
    skipped += s;
    const time = file.perfStats ? seconds(file.perfStats.end - file.perfStats.start) : '0.000';
    const start = file.perfStats?.start ? new Date(file.perfStats.start).toISOString().slice(0, 19) : '';
    suites.push(
      `  <testsuite name="${xmlEscape(name)}" tests="${count}" failures="${f}" errors="${e}" skipped="${s}" time="${time}"${start ? ` timestamp="${start}"` : ''}>\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  const total = results.startTime ? seconds(Date.now() - results.startTime) : '0.000';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="jest" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${total}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export default class JunitReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig?.rootDir ?? process.cwd();
  }

  onRunComplete(_contexts, results) {
    const dir = process.env.PIPEWARDEN_JUNIT_DIR || join(this.rootDir, 'reports', 'junit');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'jest.xml'), junitXml(results, this.rootDir));
  }
}
