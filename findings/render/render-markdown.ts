import { compareFindings } from '../model/order-findings.js';
import type { Finding, FindingLocation, FindingsDocument, ScanContext } from '../model/finding.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import { countsForGate, type GatePolicy } from '../triage/evaluate-gate.js';
import {
  codeBlock,
  encodePath,
  escapeHtml,
  escapeMarkdown,
  safeUrl,
  stripUnsafe,
  truncateText,
  baselineName,
} from './escape-text.js';
import { renderSafeMarkdown } from './render-safe-markdown.js';

export { escapeMarkdown };

/** The hidden first line by which the bot finds its own comment to update it. */
export const COMMENT_MARKER = '<!-- pipewarden:comment -->';
/** GitHub's limit on an issue / pull-request comment body. */
export const MAX_COMMENT_LENGTH = 65_536;

export interface MarkdownOptions {
  /** Hard cap on the output's length in UTF-16 code units (≥ characters); default 65,536. */
  maxLength?: number;
  /** Replaces COMMENT_MARKER (the bot's own marker, e.g. one per pipeline). */
  marker?: string;
}

const ICON: Record<Severity, string> = { CRITICAL: '🔴', HIGH: '🟠', MEDIUM: '🟡', LOW: '🔵', INFO: '⚪' };
const NAME: Record<Severity, string> = {
  CRITICAL: 'Critical',
  HIGH: 'High',
  MEDIUM: 'Medium',
  LOW: 'Low',
  INFO: 'Info',
};
/** The gate pipewarden applies when a document carries none (the CLI's default). */
const DEFAULT_POLICY: GatePolicy = { failOn: 'HIGH', newOnly: false };
// Per-entry caps keep one verbose advisory from crowding out the rest of the comment.
const TITLE_MAX = 200;
// Findings that fail the gate get the full story; the others a shorter one, so more of them fit.
const DESCRIPTION_MAX = { full: 1_000, short: 300 };
const REMEDIATION_MAX = { full: 600, short: 200 };
const SNIPPET_MAX = 400;
const IDS_MAX = 10;
const INPUTS_MAX = 30;
const WARNINGS_MAX = 20;
const WARNING_MAX = 500;

/** Links to files at the scanned commit, when the document says which repository and commit. */
function blobBase(ctx: ScanContext): string | undefined {
  const server = safeUrl(ctx.serverUrl ?? 'https://github.com')?.replace(/\/+$/, '');
  if (!server || !ctx.repo || !ctx.commit) return undefined;
  if (!/^[\w.-]+\/[\w.-]+$/.test(ctx.repo) || !/^[0-9a-f]{7,64}$/i.test(ctx.commit)) return undefined;
  return `${server}/${ctx.repo}/blob/${ctx.commit}/`;
}

function lineLabel(loc: FindingLocation): string {
  if (!loc.startLine) return loc.path;
  const end = loc.endLine ?? loc.startLine;
  return end > loc.startLine ? `${loc.path}:${loc.startLine}-${end}` : `${loc.path}:${loc.startLine}`;
}

function fileUrl(base: string, loc: FindingLocation): string {
  let url = base + encodePath(loc.path);
  if (loc.startLine) url += `#L${loc.startLine}-L${Math.max(loc.endLine ?? loc.startLine, loc.startLine)}`;
  return url;
}

const attr = (url: string) => url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

function packageLabel(f: Finding): string | undefined {
  if (!f.package) return undefined;
  return f.package.version ? `${f.package.name}@${f.package.version}` : f.package.name;
}

class Writer {
  constructor(
    private readonly base: string | undefined,
    private readonly policy: GatePolicy,
  ) {}

  /** Where a finding is, inside raw HTML (the `<summary>` line). */
  whereHtml(f: Finding): string {
    if (f.location) {
      const label = escapeHtml(truncateText(lineLabel(f.location), TITLE_MAX));
      return this.base
        ? `<a href="${attr(fileUrl(this.base, f.location))}">${label}</a>`
        : `<code>${escapeHtml(truncateText(lineLabel(f.location), TITLE_MAX), true)}</code>`;
    }
    const pkg = packageLabel(f);
    return pkg ? `<code>${escapeHtml(truncateText(pkg, TITLE_MAX), true)}</code>` : '';
  }

  /** Where a finding is, in Markdown (list items). */
  whereMarkdown(f: Finding): string {
    if (f.location) {
      const label = escapeMarkdown(truncateText(lineLabel(f.location), TITLE_MAX));
      return this.base ? `[${label}](${fileUrl(this.base, f.location)})` : label;
    }
    const pkg = packageLabel(f);
    return pkg ? escapeMarkdown(truncateText(pkg, TITLE_MAX)) : '';
  }

  /** An unsuppressed finding: one summary line, details collapsed (`full` for those failing the gate). */
  details(f: Finding, full: boolean): string {
    const size = full ? 'full' : 'short';
    const status = f.status === 'new' ? ' · <b>new</b>' : f.status === 'existing' ? ' · existing' : '';
    const where = this.whereHtml(f);
    const fails = countsForGate(f, this.policy) ? ' · ❌ fails the gate' : '';
    const summary =
      `${ICON[f.severity]} <b>${f.severity}</b>${status} · ${escapeHtml(truncateText(f.title, TITLE_MAX))}` +
      `${where ? ` · ${where}` : ''} · ${escapeHtml(f.tool)}${fails}`;
    const lines: string[] = [];
    const help = safeUrl(f.helpUri);
    lines.push(`- **Rule:** ${escapeMarkdown(f.ruleId)}${help ? ` · [documentation](${help})` : ''}`);
    let severity = `- **Severity:** ${f.severity} (scanner: ${escapeMarkdown(truncateText(f.originalSeverity, 100))})`;
    if (f.cvss) {
      severity += ` · CVSS${f.cvss.version ? ` ${escapeMarkdown(f.cvss.version)}` : ''} ${f.cvss.score}`;
      if (f.cvss.vector) severity += ` ${escapeMarkdown(truncateText(f.cvss.vector, 200))}`;
    }
    lines.push(severity);
    if (f.package) {
      const p = f.package;
      let line = `- **Package:** ${escapeMarkdown(truncateText(p.name, TITLE_MAX))}`;
      if (p.version) line += ` ${escapeMarkdown(truncateText(p.version, 100))}`;
      if (p.ecosystem) line += ` (${escapeMarkdown(truncateText(p.ecosystem, 50))})`;
      line += p.fixedVersion
        ? ` → fixed in ${escapeMarkdown(truncateText(p.fixedVersion, 100))}`
        : ' · no fixed version known';
      lines.push(line);
      const paths = p.dependencyPaths ?? [];
      if (full && paths.length && paths[0]!.length > 1) {
        const first = escapeMarkdown(truncateText(paths[0]!.join(' › '), 300));
        lines.push(
          `- **Introduced through:** ${first}${paths.length > 1 ? ` (and ${paths.length - 1} more paths)` : ''}`,
        );
      }
    }
    if (f.vulnerabilityIds.length) {
      const ids = f.vulnerabilityIds.slice(0, IDS_MAX).map((id) => escapeMarkdown(truncateText(id, 100)));
      const more = f.vulnerabilityIds.length - IDS_MAX;
      lines.push(`- **Identifiers:** ${ids.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    }
    if (f.rejectedSuppression) {
      const r = f.rejectedSuppression;
      lines.push(
        `- **Ignored in the scanner, not honoured:** ${escapeMarkdown(truncateText(r.because, 200))}${r.reason ? ` (reason given: ${escapeMarkdown(truncateText(r.reason, 200))})` : ''}`,
      );
    }
    const tools = [...new Set(f.sources.map((s) => s.tool))];
    if (tools.length > 1) lines.push(`- **Reported by:** ${tools.map((t) => escapeMarkdown(t)).join(', ')}`);
    lines.push(
      `- **Fingerprint:** ${/^[0-9a-f]+$/i.test(f.fingerprint) ? `\`${f.fingerprint}\`` : escapeMarkdown(f.fingerprint)}`,
    );
    const blocks = [lines.join('\n')];
    if (f.description && stripUnsafe(f.description).trim() !== stripUnsafe(f.title).trim())
      // Scanner Markdown as a safe subset (render-safe-markdown.ts), not escaped raw text.
      blocks.push(renderSafeMarkdown(truncateText(f.description, DESCRIPTION_MAX[size])));
    if (f.remediation)
      blocks.push(
        `**Remediation:**\n\n${renderSafeMarkdown(truncateText(f.remediation, REMEDIATION_MAX[size]))}`,
      );
    if (full && f.location?.snippet) blocks.push(codeBlock(truncateText(f.location.snippet, SNIPPET_MAX)));
    return `<details><summary>${summary}</summary>\n\n${blocks.join('\n\n')}\n\n</details>\n\n`;
  }

  /** A suppressed finding: one list item, with who suppressed it and why. */
  suppressed(f: Finding): string {
    const s = f.suppression!;
    const where = this.whereMarkdown(f);
    let why = escapeMarkdown(truncateText(s.reason, 300));
    if (s.source === 'config' && s.matchedBy) why = `(by ${escapeMarkdown(s.matchedBy)}) ${why}`;
    if (s.approvedBy) why += ` · approved by ${escapeMarkdown(truncateText(s.approvedBy, 100))}`;
    if (s.expires) why += ` · expires ${escapeMarkdown(truncateText(s.expires, 40))}`;
    return (
      `- ${ICON[f.severity]} ${f.severity} · ${escapeMarkdown(truncateText(f.title, TITLE_MAX))}` +
      `${where ? ` · ${where}` : ''} · ${escapeMarkdown(f.tool)} — ${why}\n`
    );
  }

  /** A baseline finding that is gone. */
  fixed(f: Finding): string {
    const where = this.whereMarkdown(f);
    return (
      `- ✅ ${f.severity} · ${escapeMarkdown(truncateText(f.title, TITLE_MAX))}` +
      `${where ? ` · ${where}` : ''} · ${escapeMarkdown(f.tool)}\n`
    );
  }
}

interface Piece {
  text: string;
  /** Which list an entry belongs to; undefined for a heading. */
  counts?: 'finding' | 'fixed';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function header(doc: FindingsDocument, marker: string, policy: GatePolicy): string {
  const out: string[] = [marker];
  const gate = doc.gate;
  if (!gate) out.push('### pipewarden: security findings');
  else if (gate.passed) out.push('### ✅ pipewarden: security gate passed');
  else out.push('### ❌ pipewarden: security gate failed');
  out.push('');
  if (gate) {
    out.push(
      `Gate: fail on **${policy.failOn}** or worse${policy.newOnly ? ', new findings only' : ''}, suppressed ` +
        `findings excluded — **${plural(gate.failing, 'finding')}** ${gate.failing === 1 ? 'fails' : 'fail'} it.`,
    );
    out.push('');
    for (const reason of gate.reasons) out.push(`- ${escapeMarkdown(truncateText(reason, WARNING_MAX))}`);
    out.push('');
  }
  const ctx = doc.context;
  const scanned: string[] = [];
  if (ctx.repo) scanned.push(`**${escapeMarkdown(ctx.repo)}**`);
  if (ctx.commit) {
    const short = escapeMarkdown(ctx.commit.slice(0, 12));
    const base = blobBase(ctx);
    scanned.push(
      `commit ${base ? `[${short}](${base.replace(/\/blob\//, '/commit/').replace(/\/$/, '')})` : short}`,
    );
  }
  if (ctx.branch) scanned.push(`branch ${escapeMarkdown(ctx.branch)}`);
  const reports = doc.inputs.length
    ? `${plural(doc.findings.length, 'finding')} from ${plural(doc.inputs.length, 'report')}`
    : '**no report was read: nothing was checked**';
  const baseline = doc.baseline
    ? `, compared with the baseline ${escapeMarkdown(baselineName(doc.baseline.file))} (${plural(doc.baseline.findings, 'finding')})`
    : ', no baseline';
  out.push(`${scanned.length ? `Scanned ${scanned.join(' · ')}: ` : ''}${reports}${baseline}.`);
  out.push('');
  if (doc.policy) out.push(`Policy: ${policyText(doc.policy)}.`, '');
  if (doc.policyChange) out.push(...policyChangeSection(doc), '');
  out.push(countsTable(doc));
  return out.join('\n') + '\n';
}

const POLICY_CHANGE_FINDINGS = 10;
const POLICY_CHANGE_LINES = 10;

function shortCommit(commit: string | undefined): string {
  return commit ? `@${escapeMarkdown(commit.slice(0, 12))}` : '';
}

/** Where the applied policy came from, in words. */
function policyText(policy: NonNullable<FindingsDocument['policy']>): string {
  const file = escapeMarkdown(truncateText(policy.file ?? '.github/pipewarden.yml', 200));
  const at = policy.branch
    ? `${escapeMarkdown(truncateText(policy.branch, 200))}${shortCommit(policy.commit)}`
    : '';
  if (policy.origin === 'default')
    return `pipewarden’s defaults${at ? ` (${at} has recorded no policy)` : ''}`;
  if (policy.origin === 'base-branch') return `${file} of ${at || 'the base branch'}, not this change’s own`;
  return `${file} of this commit`;
}

/** The policy the change proposes, what it would do, and the findings it would let through: never applied. */
function policyChangeSection(doc: FindingsDocument): string[] {
  const change = doc.policyChange!;
  const file = escapeMarkdown(
    truncateText(
      change.file.endsWith('.github/pipewarden.yml') ? '.github/pipewarden.yml' : change.file,
      200,
    ),
  );
  const p = doc.policy;
  const used = p?.branch
    ? `the policy of ${escapeMarkdown(truncateText(p.branch, 200))}${shortCommit(p.commit)}`
    : p?.origin === 'default'
      ? 'pipewarden’s defaults'
      : 'the base branch’s policy';
  const out: string[] = ['#### ⚠️ This change proposes a different pipewarden policy', ''];
  if (!change.valid) {
    out.push(
      `This pull request changes ${file}; the gate used ${used}. The proposed file is not a valid config: ${escapeMarkdown(truncateText(change.error ?? 'invalid', WARNING_MAX))}. After merge every gate would stop with an input error.`,
    );
    return out;
  }
  const verdict = change.wouldPass ? '**pass**' : '**fail**';
  const now = doc.gate ? (doc.gate.passed ? ' (it passes now)' : ' (it fails now)') : '';
  out.push(
    `This pull request changes ${file}; the gate used ${used}. After merge it would ${verdict}${now}: ` +
      `${plural(change.wouldLetThrough.length, 'finding')} that ${change.wouldLetThrough.length === 1 ? 'fails' : 'fail'} the gate now would no longer fail, ` +
      `${plural(change.wouldSuppress.length, 'more finding')} would be suppressed, ` +
      `${change.wouldUnsuppress.length} would no longer be suppressed, ` +
      `${change.wouldFail.length} would newly fail.`,
    '',
  );
  for (const line of change.summary.slice(0, POLICY_CHANGE_LINES))
    out.push(`- ${escapeMarkdown(truncateText(line, 300))}`);
  if (change.summary.length > POLICY_CHANGE_LINES)
    out.push(`- … and ${change.summary.length - POLICY_CHANGE_LINES} more changes`);
  const byFp = new Map(doc.findings.map((f) => [f.fingerprint, f]));
  const listed = [...new Set([...change.wouldLetThrough, ...change.wouldSuppress])]
    .map((fp) => byFp.get(fp))
    .filter((f): f is Finding => !!f)
    .sort(compareFindings);
  if (listed.length) {
    out.push('', 'What it would let through or hide:', '');
    for (const f of listed.slice(0, POLICY_CHANGE_FINDINGS)) {
      const how = change.wouldLetThrough.includes(f.fingerprint)
        ? 'would no longer fail'
        : 'would be suppressed';
      const where = f.location ? lineLabel(f.location) : packageLabel(f);
      out.push(
        `- ${ICON[f.severity]} ${f.severity} · ${escapeMarkdown(truncateText(f.title, TITLE_MAX))}` +
          `${where ? ` · ${escapeMarkdown(truncateText(where, TITLE_MAX))}` : ''} · ${escapeMarkdown(f.tool)} — ${how}`,
      );
    }
    if (listed.length > POLICY_CHANGE_FINDINGS)
      out.push(
        `- … and ${listed.length - POLICY_CHANGE_FINDINGS} more (policyChange in the findings document)`,
      );
  }
  return out;
}

function countsTable(doc: FindingsDocument): string {
  const zero = () => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const total = zero();
  const fresh = zero();
  const existing = zero();
  const suppressed = zero();
  const fixed = zero();
  for (const f of doc.findings) {
    total[f.severity]++;
    if (f.status === 'existing') existing[f.severity]++;
    else fresh[f.severity]++;
    if (f.suppression) suppressed[f.severity]++;
  }
  for (const f of doc.fixed) fixed[f.severity]++;
  const sum = (c: Record<Severity, number>) => SEVERITIES.reduce((n, s) => n + c[s], 0);
  const rows: string[] = [];
  if (doc.baseline) {
    rows.push('| Severity | New | Existing | Fixed | of which suppressed |', '|---|--:|--:|--:|--:|');
    for (const s of SEVERITIES)
      rows.push(`| ${ICON[s]} ${NAME[s]} | ${fresh[s]} | ${existing[s]} | ${fixed[s]} | ${suppressed[s]} |`);
    rows.push(
      `| **Total** | **${sum(fresh)}** | **${sum(existing)}** | **${sum(fixed)}** | **${sum(suppressed)}** |`,
    );
  } else {
    rows.push('| Severity | Total | of which suppressed |', '|---|--:|--:|');
    for (const s of SEVERITIES) rows.push(`| ${ICON[s]} ${NAME[s]} | ${total[s]} | ${suppressed[s]} |`);
    rows.push(`| **Total** | **${sum(total)}** | **${sum(suppressed)}** |`);
  }
  return rows.join('\n') + '\n';
}

function footer(doc: FindingsDocument): string {
  const out: string[] = ['', '#### What was checked', ''];
  if (doc.inputs.length) {
    out.push('| Report | Format | Findings |', '|---|---|--:|');
    for (const input of doc.inputs.slice(0, INPUTS_MAX))
      out.push(
        `| ${escapeMarkdown(truncateText(input.file, 200))} | ${escapeMarkdown(input.format)} | ${input.findings} |`,
      );
    if (doc.inputs.length > INPUTS_MAX)
      out.push(`| … and ${doc.inputs.length - INPUTS_MAX} more reports | | |`);
  } else out.push('No report was read.');
  if (doc.baseline)
    out.push(
      '',
      `Baseline: ${escapeMarkdown(baselineName(doc.baseline.file))} (${plural(doc.baseline.findings, 'finding')}).`,
    );
  if (doc.warnings.length) {
    out.push('', '#### Warnings', '');
    for (const w of doc.warnings.slice(0, WARNINGS_MAX))
      out.push(`- ⚠️ ${escapeMarkdown(truncateText(w, WARNING_MAX))}`);
    if (doc.warnings.length > WARNINGS_MAX)
      out.push(`- … and ${doc.warnings.length - WARNINGS_MAX} more warnings`);
  }
  out.push(
    '',
    `<sub>pipewarden ${escapeHtml(doc.generator.version)} · every finding, with its fingerprint, is in the findings document (\`report --format json\`).</sub>`,
  );
  return out.join('\n') + '\n';
}

function* pieces(doc: FindingsDocument, w: Writer, policy: GatePolicy): Generator<Piece> {
  const failing: Finding[] = [];
  const other: Finding[] = [];
  const byScanner: Finding[] = [];
  const byConfig: Finding[] = [];
  for (const f of doc.findings) {
    if (f.suppression) (f.suppression.source === 'config' ? byConfig : byScanner).push(f);
    else if (doc.gate && countsForGate(f, policy)) failing.push(f);
    else other.push(f);
  }
  // Suppressions come before the remaining findings: a reviewer should see every risk that was accepted
  // (a new config suppression is itself a change to review), and each takes one short line.
  const sections: [string, Finding[], (f: Finding) => string, Piece['counts']][] = [
    [`❌ Failing the gate (${failing.length})`, failing, (f) => w.details(f, true), 'finding'],
    [`Suppressed by the scanner (${byScanner.length})`, byScanner, (f) => w.suppressed(f), 'finding'],
    [`Suppressed by the config (${byConfig.length})`, byConfig, (f) => w.suppressed(f), 'finding'],
    [
      `${doc.gate ? 'Other findings' : 'Findings'} (${other.length})`,
      other,
      (f) => w.details(f, !doc.gate),
      'finding',
    ],
    [`✅ Fixed since the baseline (${doc.fixed.length})`, [...doc.fixed], (f) => w.fixed(f), 'fixed'],
  ];
  for (const [title, list, render, counts] of sections) {
    if (!list.length) continue;
    // Sorted here, not trusted from the document: the same findings in any order give the same comment.
    list.sort(compareFindings);
    yield { text: `\n#### ${title}\n\n` };
    for (const f of list) yield { text: render(f), counts };
  }
}

function moreLine(findings: number, fixed: number, maxLength: number): string {
  const what =
    findings > 0
      ? `… and ${findings} more findings${fixed > 0 ? ` and ${fixed} more fixed ones` : ''}`
      : `… and ${fixed} more fixed findings`;
  return `\n**${what}** not shown: a comment holds at most ${maxLength} characters. The check run and the findings document list them all.\n`;
}

/**
 * The pull-request comment: verdict, counts, the findings that matter first, suppressions with their
 * reasons, what was checked. Never longer than `maxLength`: whole entries are cut from the end, and a
 * last line says how many. Every piece of scanner text is escaped (see escape-text.ts): no HTML, no
 * mentions or issue references, no links or tables from scanner text. The same document gives the same
 * text, whatever the order of its findings.
 */
export function renderMarkdown(doc: FindingsDocument, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? MAX_COMMENT_LENGTH;
  const policy: GatePolicy = doc.gate
    ? { failOn: doc.gate.failOn, newOnly: doc.gate.newOnly }
    : DEFAULT_POLICY;
  const writer = new Writer(blobBase(doc.context), policy);
  const head = header(doc, options.marker ?? COMMENT_MARKER, policy);
  let tail = footer(doc);
  const totalFindings = doc.findings.length;
  const totalFixed = doc.fixed.length;
  const reserve = moreLine(totalFindings, totalFixed, maxLength).length;
  if (head.length + tail.length + reserve > maxLength) tail = '';

  const body: string[] = [];
  let used = head.length + tail.length;
  let shownFindings = 0;
  let shownFixed = 0;
  let pendingHeading = '';
  const it = pieces(doc, writer, policy);
  let next = it.next();
  // Greedy, in order: an entry that does not fit ends the list (whole entries only, nothing skipped ahead).
  for (; !next.done; next = it.next()) {
    const piece = next.value;
    if (!piece.counts) {
      pendingHeading = piece.text;
      continue;
    }
    const cost = pendingHeading.length + piece.text.length;
    if (used + cost + reserve > maxLength) break;
    body.push(pendingHeading, piece.text);
    used += cost;
    pendingHeading = '';
    if (piece.counts === 'finding') shownFindings++;
    else shownFixed++;
  }
  if (!next.done) {
    // The reserve for the "and N more" line may be all that kept the rest out: check whether it fits whole.
    const rest: string[] = [];
    let restCost = 0;
    let heading = pendingHeading;
    for (; !next.done; next = it.next()) {
      const piece = next.value;
      if (!piece.counts) {
        heading = piece.text;
        continue;
      }
      restCost += heading.length + piece.text.length;
      if (used + restCost > maxLength) break;
      rest.push(heading, piece.text);
      heading = '';
    }
    if (next.done) {
      body.push(...rest);
      shownFindings = totalFindings;
      shownFixed = totalFixed;
    }
  }
  const omittedFindings = totalFindings - shownFindings;
  const omittedFixed = totalFixed - shownFixed;
  if (omittedFindings > 0 || omittedFixed > 0) body.push(moreLine(omittedFindings, omittedFixed, maxLength));
  const text = head + body.join('') + tail;
  // Only a maxLength smaller than the verdict and counts themselves can get here.
  return text.length <= maxLength ? text : truncateText(text, maxLength);
}
