import { compareFindings } from '../model/order-findings.js';
import type { Finding, FindingsDocument } from '../model/finding.js';
import { countsForGate, type GatePolicy } from '../triage/evaluate-gate.js';
import { baselineName, escapeXml, escapeXmlAttribute, truncateText } from './escape-text.js';

/** The gate pipewarden applies when a document carries none (the CLI's default). */
const DEFAULT_POLICY: GatePolicy = { failOn: 'HIGH', newOnly: false };
// CodeBuild shows a test case's name and message in a table: long scanner text is cut.
const NAME_MAX = 250;
const MESSAGE_MAX = 500;
const BODY_MAX = 8_000;

const attr = (text: string, max = MESSAGE_MAX) => escapeXmlAttribute(truncateText(text, max));

function where(f: Finding): string {
  if (f.location) {
    const { path, startLine, endLine } = f.location;
    if (!startLine) return path;
    return endLine && endLine > startLine ? `${path}:${startLine}-${endLine}` : `${path}:${startLine}`;
  }
  if (f.package) return f.package.version ? `${f.package.name}@${f.package.version}` : f.package.name;
  return '';
}

function testName(f: Finding): string {
  // The fingerprint's head keeps names unique (CodeBuild lists cases by name) and links back to the finding.
  const place = where(f);
  return `${f.severity} ${f.ruleId}${place ? ` ${place}` : ''} [${f.fingerprint.slice(0, 8)}]`;
}

function details(f: Finding): string {
  const lines = [f.title];
  if (f.description && f.description.trim() !== f.title.trim()) lines.push('', f.description);
  lines.push('');
  lines.push(`Severity: ${f.severity} (scanner: ${f.originalSeverity})${f.status ? ` · ${f.status}` : ''}`);
  if (f.location) lines.push(`Location: ${where(f)}`);
  if (f.package) {
    const p = f.package;
    lines.push(
      `Package: ${p.name}${p.version ? ` ${p.version}` : ''}${p.fixedVersion ? ` → fixed in ${p.fixedVersion}` : ' (no fixed version known)'}`,
    );
  }
  if (f.vulnerabilityIds.length) lines.push(`Identifiers: ${f.vulnerabilityIds.join(', ')}`);
  if (f.remediation) lines.push(`Remediation: ${f.remediation}`);
  if (f.helpUri) lines.push(`More: ${f.helpUri}`);
  lines.push(`Reported by: ${[...new Set(f.sources.map((s) => s.tool))].join(', ')}`);
  lines.push(`Fingerprint: ${f.fingerprint}`);
  return escapeXml(truncateText(lines.join('\n'), BODY_MAX));
}

function testCase(f: Finding, policy: GatePolicy): string {
  const open = `    <testcase name="${attr(testName(f), NAME_MAX)}" classname="${attr(f.tool, NAME_MAX)}" time="0"`;
  if (f.suppression) {
    const s = f.suppression;
    let why = `suppressed by the ${s.source === 'config' ? 'config' : 'scanner'}: ${s.reason}`;
    if (s.approvedBy) why += ` (approved by ${s.approvedBy})`;
    if (s.expires) why += ` (expires ${s.expires})`;
    return `${open}>\n      <skipped message="${attr(why)}"/>\n    </testcase>\n`;
  }
  if (countsForGate(f, policy))
    return `${open}>\n      <failure message="${attr(f.title)}" type="${f.severity}">${details(f)}</failure>\n    </testcase>\n`;
  return `${open}/>\n`;
}

interface Suite {
  name: string;
  findings: Finding[];
  failures: number;
  skipped: number;
}

function suiteOpen(
  s: { name: string; tests: number; failures: number; skipped: number },
  timestamp: string,
): string {
  return (
    `  <testsuite name="${attr(s.name, NAME_MAX)}" tests="${s.tests}" failures="${s.failures}" errors="0" ` +
    `skipped="${s.skipped}" time="0" timestamp="${attr(timestamp)}">\n`
  );
}

const CHUNK = 1 << 20;

/**
 * JUnit XML for a CodeBuild report group: a `pipewarden` suite with one case for the gate's verdict (so a
 * gate that fails on a missing report fails the report too), then one suite per tool with one case per
 * finding. A finding that fails the gate (countsForGate with the document's policy) is a `<failure>`, a
 * suppressed one `<skipped>` with its reason, any other one passes. Failures come first in every suite:
 * CodeBuild keeps at most 500 cases a report and favours failed ones. Text is XML-escaped, characters
 * XML cannot hold are dropped, and the order does not depend on the order of the findings.
 */
export function renderJunit(doc: FindingsDocument): string {
  return [...renderJunitChunks(doc)].join('');
}

/** The same, in chunks: the CLI writes 100,000 test cases without joining them into one string. */
export function* renderJunitChunks(doc: FindingsDocument): Generator<string> {
  const policy: GatePolicy = doc.gate
    ? { failOn: doc.gate.failOn, newOnly: doc.gate.newOnly }
    : DEFAULT_POLICY;
  const timestamp = doc.generatedAt.slice(0, 19);
  const byTool = new Map<string, Finding[]>();
  for (const f of doc.findings) {
    const list = byTool.get(f.tool);
    if (list) list.push(f);
    else byTool.set(f.tool, [f]);
  }
  const rank = (f: Finding) => (f.suppression ? 1 : countsForGate(f, policy) ? 0 : 2);
  const suites: Suite[] = [...byTool.keys()].sort().map((tool) => {
    const findings = byTool.get(tool)!.sort((a, b) => rank(a) - rank(b) || compareFindings(a, b));
    const suite: Suite = { name: tool, findings, failures: 0, skipped: 0 };
    for (const f of findings) {
      if (f.suppression) suite.skipped++;
      else if (countsForGate(f, policy)) suite.failures++;
    }
    return suite;
  });

  const gateName = `security gate: fail on ${policy.failOn}${policy.newOnly ? ', new findings only' : ''}`;
  const gateOpen = `    <testcase name="${attr(gateName)}" classname="pipewarden" time="0"`;
  let gateCase: string;
  const gate = { name: 'pipewarden', tests: 1, failures: 0, skipped: 0 };
  if (doc.gate && !doc.gate.passed) {
    gate.failures = 1;
    gateCase =
      `${gateOpen}>\n      <failure message="${attr(doc.gate.reasons.join('; '))}" type="gate">` +
      `${escapeXml(truncateText(doc.gate.reasons.join('\n'), BODY_MAX))}</failure>\n    </testcase>\n`;
  } else if (!doc.gate) {
    gate.skipped = 1;
    gateCase = `${gateOpen}>\n      <skipped message="no gate was evaluated"/>\n    </testcase>\n`;
  } else gateCase = `${gateOpen}/>\n`;
  // What was read, as suite properties: the report is honest about what it checked.
  const props = doc.inputs.map((input, i) => [
    `input.${i}`,
    `${input.file} (${input.format}, ${input.findings} findings)`,
  ]);
  if (doc.baseline)
    props.push(['baseline', `${baselineName(doc.baseline.file)} (${doc.baseline.findings} findings)`]);
  const properties = props.length
    ? `    <properties>\n${props.map(([name, value]) => `      <property name="${name}" value="${attr(value!, 1_000)}"/>\n`).join('')}    </properties>\n`
    : '';

  const failures = gate.failures + suites.reduce((n, s) => n + s.failures, 0);
  const skipped = gate.skipped + suites.reduce((n, s) => n + s.skipped, 0);
  const tests = 1 + doc.findings.length;
  yield (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="pipewarden" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="0">\n` +
    suiteOpen(gate, timestamp) +
    properties +
    gateCase +
    '  </testsuite>\n'
  );
  for (const s of suites) {
    let buf = suiteOpen({ ...s, tests: s.findings.length }, timestamp);
    for (const f of s.findings) {
      buf += testCase(f, policy);
      if (buf.length >= CHUNK) {
        yield buf;
        buf = '';
      }
    }
    yield buf + '  </testsuite>\n';
  }
  yield '</testsuites>\n';
}
