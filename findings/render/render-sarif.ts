import { gzipSync } from 'node:zlib';
import { compareFindings } from '../document/build-document.js';
import type { Finding, FindingsDocument, ScanContext } from '../model/finding.js';
import { SEVERITY_RANK, SEVERITY_SCORE, type Severity } from '../model/severity.js';
import { encodePath, safeUrl, stripUnsafe, truncateText } from './escape-text.js';

/**
 * GitHub code scanning's limits on one SARIF upload (docs: "SARIF support for code scanning" and
 * "SARIF results exceed limit"): above them the whole file is rejected. 10 MB is counted gzipped.
 */
export const GITHUB_SARIF_LIMITS = {
  runsPerFile: 20,
  resultsPerRun: 25_000,
  rulesPerRun: 25_000,
  tagsPerRule: 20,
  locationsPerResult: 1_000,
  gzipBytes: 10_000_000,
};
export type SarifLimits = typeof GITHUB_SARIF_LIMITS;

export interface SarifOptions {
  /** At most this many results in the whole log (the most severe); the CLI's `--max`. */
  max?: number;
  /** Tighter limits than GitHub's (tests, or a GitHub Enterprise Server with other limits). */
  limits?: Partial<SarifLimits>;
}

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';
interface Text {
  text: string;
}
export interface SarifRule {
  id: string;
  shortDescription: Text;
  fullDescription: Text;
  help: Text;
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties: { 'security-severity': string; tags: string[] };
}
export interface SarifSuppression {
  kind: 'external';
  status: 'accepted';
  justification: string;
  properties: Record<string, unknown>;
}
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: Text;
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region?: { startLine: number; endLine?: number; startColumn?: number; endColumn?: number };
    };
    message?: Text;
  }[];
  partialFingerprints: Record<string, string>;
  baselineState?: 'new' | 'unchanged';
  suppressions?: SarifSuppression[];
  properties: Record<string, unknown>;
}
export interface SarifNotification {
  level: 'warning';
  message: Text;
}
export interface SarifRun {
  tool: { driver: { name: string; informationUri?: string; rules: SarifRule[] } };
  automationDetails: { id: string };
  columnKind: 'utf16CodeUnits';
  originalUriBaseIds: Record<string, { description: Text }>;
  versionControlProvenance?: { repositoryUri: string; revisionId?: string; branch?: string }[];
  invocations?: { executionSuccessful: true; toolExecutionNotifications: SarifNotification[] }[];
  results: SarifResult[];
  properties: Record<string, unknown>;
}
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

const SRCROOT = '%SRCROOT%';
/** The key of pipewarden's fingerprint in `partialFingerprints`: versioned, so a change of scheme is visible. */
export const FINGERPRINT_KEY = 'pipewarden/v1';

const LEVEL: Record<Severity, SarifLevel> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  INFO: 'note',
};

/**
 * Snyk's own SARIF driver names, so that a pipewarden SARIF read back by pipewarden keeps the tool and
 * kind; every other tool keeps its name.
 */
const DRIVER_NAME: Record<string, string> = {
  'snyk-code': 'SnykCode',
  'snyk-iac': 'Snyk IaC',
  'snyk-container': 'Snyk Container',
  'snyk-open-source': 'Snyk Open Source',
};

const clean = (text: string, max: number) => truncateText(stripUnsafe(text).trim(), max) || '(none)';
const score = (s: Severity) => SEVERITY_SCORE[s].toFixed(1);

function slug(tool: string): string {
  return (
    tool
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'tool'
  );
}

function cweTags(f: Finding): string[] {
  return f.vulnerabilityIds
    .map((id) => /^CWE-(\d+)$/i.exec(id)?.[1])
    .filter((n): n is string => !!n)
    .map((n) => `external/cwe/cwe-${n}`);
}

/** One output run: one tool, or (past GitHub's run limit) several tools merged. */
interface RunPlan {
  tools: string[];
  merged: boolean;
  id: string;
  kept: Finding[];
  total: number;
  /** Left out by the per-run limit, and by the whole-log cap (--max or the size limit). */
  droppedByRunLimit: number;
  droppedByCap: number;
}

function planRuns(doc: FindingsDocument, sorted: Finding[], limits: SarifLimits): Map<string, RunPlan> {
  // Every tool of the reports, also those with nothing (left) to say: an empty run closes their alerts.
  const stats = new Map<string, { worst: number; count: number }>();
  const see = (tool: string, f?: Finding) => {
    const s = stats.get(tool) ?? { worst: -1, count: 0 };
    if (f) {
      s.worst = Math.max(s.worst, SEVERITY_RANK[f.severity]);
      s.count++;
    }
    stats.set(tool, s);
  };
  for (const f of sorted) {
    see(f.tool, f);
    for (const s of f.sources) see(s.tool);
  }
  for (const f of doc.fixed) for (const s of f.sources) see(s.tool);
  const byName = [...stats.keys()].sort();
  // Categories (automationDetails.id) must stay the same from one upload to the next: slugs are given
  // in name order, whatever the findings, and told apart by a suffix only when two tools collide.
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const tool of byName) {
    let id = `pipewarden/${slug(tool)}/`;
    for (let n = 2; used.has(id); n++) id = `pipewarden/${slug(tool)}-${n}/`;
    used.add(id);
    ids.set(tool, id);
  }
  // Past the run limit, the tools with the least to report share one last run.
  const order = [...byName].sort(
    (a, b) => stats.get(b)!.worst - stats.get(a)!.worst || stats.get(b)!.count - stats.get(a)!.count,
  );
  const own = order.length > limits.runsPerFile ? order.slice(0, limits.runsPerFile - 1) : order;
  const rest = order.slice(own.length);
  const plans = new Map<string, RunPlan>();
  const fresh = (tools: string[], merged: boolean, id: string): RunPlan => ({
    tools,
    merged,
    id,
    kept: [],
    total: 0,
    droppedByRunLimit: 0,
    droppedByCap: 0,
  });
  for (const tool of byName) if (own.includes(tool)) plans.set(tool, fresh([tool], false, ids.get(tool)!));
  if (rest.length) {
    let id = 'pipewarden/other-tools/';
    for (let n = 2; used.has(id); n++) id = `pipewarden/other-tools-${n}/`;
    const shared = fresh([...rest].sort(), true, id);
    for (const tool of rest) plans.set(tool, shared);
  }
  return plans;
}

/** Keeps the most severe results within the per-run limit and the whole-log cap. */
function selectResults(sorted: Finding[], plans: Map<string, RunPlan>, cap: number, perRun: number): void {
  for (const plan of new Set(plans.values())) {
    plan.kept = [];
    plan.total = plan.droppedByRunLimit = plan.droppedByCap = 0;
  }
  let kept = 0;
  for (const f of sorted) {
    const plan = plans.get(f.tool)!;
    plan.total++;
    if (plan.kept.length >= perRun) plan.droppedByRunLimit++;
    else if (kept >= cap) plan.droppedByCap++;
    else {
      plan.kept.push(f);
      kept++;
    }
  }
}

function message(f: Finding): string {
  let text = stripUnsafe(f.title).trim() || f.ruleId;
  if (f.package) {
    const p = f.package;
    text += ` in ${p.name}${p.version ? `@${p.version}` : ''}`;
    text += p.fixedVersion ? ` (fixed in ${p.fixedVersion})` : ' (no fixed version known)';
  }
  const description = stripUnsafe(f.description ?? '').trim();
  if (description && description !== text) text += `: ${description}`;
  return clean(text, 1_000);
}

function location(f: Finding): SarifResult['locations'][number] {
  const loc = f.location;
  if (!loc) {
    // GitHub rejects a whole upload when one result lacks a file: a dependency found in an image (no
    // manifest in the repository) is anchored to its package name, and says so.
    const name = f.package?.name ?? f.tool;
    return {
      physicalLocation: {
        artifactLocation: { uri: encodePath(name.replace(/^\/+/, '')), uriBaseId: SRCROOT },
        region: { startLine: 1 },
      },
      message: {
        text: clean(
          `No file in the repository: ${f.package ? `package ${name}` : `reported by ${name}`}`,
          300,
        ),
      },
    };
  }
  const physical: SarifResult['locations'][number]['physicalLocation'] = {
    artifactLocation: { uri: encodePath(loc.path), uriBaseId: SRCROOT },
  };
  if (loc.startLine) {
    const region: NonNullable<typeof physical.region> = { startLine: loc.startLine };
    if (loc.endLine && loc.endLine >= loc.startLine) region.endLine = loc.endLine;
    if (loc.startColumn) {
      region.startColumn = loc.startColumn;
      const sameLine = (region.endLine ?? loc.startLine) === loc.startLine;
      if (loc.endColumn && (!sameLine || loc.endColumn >= loc.startColumn)) region.endColumn = loc.endColumn;
    }
    physical.region = region;
  }
  return { physicalLocation: physical };
}

function suppression(f: Finding): SarifSuppression[] | undefined {
  const s = f.suppression;
  if (!s) return undefined;
  // Built from pipewarden's model, never copied from the input (Snyk's lack the required `kind`).
  // `expiration` and `ignoredBy.name` are the names SARIF producers such as Snyk use, so readers find them.
  const properties: Record<string, unknown> = { 'pipewarden/source': s.source };
  if (s.matchedBy) properties['pipewarden/matchedBy'] = s.matchedBy;
  if (s.expires) properties.expiration = s.expires;
  if (s.approvedBy) properties.ignoredBy = { name: s.approvedBy };
  return [{ kind: 'external', status: 'accepted', justification: clean(s.reason, 1_000), properties }];
}

function result(f: Finding, ruleId: string, ruleIndex: number, merged: boolean): SarifResult {
  const properties: Record<string, unknown> = {
    'security-severity': score(f.severity),
    'pipewarden/severity': f.severity,
    'pipewarden/originalSeverity': f.originalSeverity,
  };
  if (merged) properties['pipewarden/tool'] = f.tool;
  if (f.vulnerabilityIds.length) properties['pipewarden/vulnerabilityIds'] = f.vulnerabilityIds;
  if (f.package) {
    const { dependencyPaths: _paths, ...pkg } = f.package;
    properties['pipewarden/package'] = pkg;
  }
  if (f.sources.length > 1) properties['pipewarden/reportedBy'] = [...new Set(f.sources.map((s) => s.tool))];
  const r: SarifResult = {
    ruleId,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: message(f) },
    locations: [location(f)],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    properties,
  };
  if (f.status) r.baselineState = f.status === 'new' ? 'new' : 'unchanged';
  const s = suppression(f);
  if (s) r.suppressions = s;
  return r;
}

function newRule(id: string, f: Finding, limits: SarifLimits): SarifRule {
  const title = clean(f.title, 1_000);
  const rule: SarifRule = {
    id,
    shortDescription: { text: title },
    fullDescription: { text: clean(f.description ?? f.title, 4_000) },
    help: { text: clean(f.remediation ?? f.description ?? f.title, 8_000) },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: {
      'security-severity': score(f.severity),
      tags: ['security', ...cweTags(f)].slice(0, limits.tagsPerRule),
    },
  };
  const help = safeUrl(f.helpUri);
  if (help) rule.helpUri = help;
  return rule;
}

/** Why results beyond the per-run limit were left out: `--max`, or the upload's size. */
type CapReason = 'max' | 'size';

function notifications(
  plan: RunPlan,
  limits: SarifLimits,
  cap: { value: number; reason: CapReason },
): SarifNotification[] {
  const out: SarifNotification[] = [];
  if (plan.merged)
    out.push({
      level: 'warning',
      message: {
        text: `GitHub code scanning accepts at most ${limits.runsPerFile} runs in one SARIF file: the results of ${plan.tools.join(', ')} share this run.`,
      },
    });
  const dropped = plan.droppedByRunLimit + plan.droppedByCap;
  if (dropped) {
    const why: string[] = [];
    if (plan.droppedByRunLimit)
      why.push(`GitHub code scanning accepts at most ${limits.resultsPerRun} results per run`);
    if (plan.droppedByCap)
      why.push(
        cap.reason === 'max'
          ? `the log was capped at ${cap.value} results (--max)`
          : `GitHub code scanning accepts at most ${limits.gzipBytes} bytes of gzipped SARIF`,
      );
    out.push({
      level: 'warning',
      message: {
        text: `pipewarden left out the ${dropped} least severe of ${plan.total} results: ${why.join('; ')}. The findings document lists them all.`,
      },
    });
  }
  return out;
}

function provenance(ctx: ScanContext): SarifRun['versionControlProvenance'] {
  const server = safeUrl(ctx.serverUrl ?? 'https://github.com')?.replace(/\/+$/, '');
  if (!server || !ctx.repo || !/^[\w.-]+\/[\w.-]+$/.test(ctx.repo)) return undefined;
  const p: NonNullable<SarifRun['versionControlProvenance']>[number] = {
    repositoryUri: `${server}/${ctx.repo}`,
  };
  if (ctx.commit) p.revisionId = ctx.commit;
  if (ctx.branch) p.branch = ctx.branch;
  return [p];
}

function assemble(
  doc: FindingsDocument,
  plans: Map<string, RunPlan>,
  limits: SarifLimits,
  cap: { value: number; reason: CapReason },
): SarifLog {
  const vcs = provenance(doc.context);
  const runs: SarifRun[] = [];
  const unique = [...new Set(plans.values())].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const plan of unique) {
    const rules: SarifRule[] = [];
    const index = new Map<string, number>();
    const results: SarifResult[] = [];
    for (const f of plan.kept) {
      // In a merged run rule ids are prefixed with their tool, so two tools' rules cannot collide.
      const id = plan.merged ? `${f.tool}/${f.ruleId}` : f.ruleId;
      let i = index.get(id);
      if (i === undefined) {
        // Results come worst first, so a rule's first result is its worst: the rule's severity.
        i = rules.push(newRule(id, f, limits)) - 1;
        index.set(id, i);
      } else {
        const tags = rules[i]!.properties.tags;
        for (const tag of cweTags(f))
          if (!tags.includes(tag) && tags.length < limits.tagsPerRule) tags.push(tag);
      }
      results.push(result(f, id, i, plan.merged));
    }
    const tool = plan.tools[0]!;
    const run: SarifRun = {
      tool: { driver: { name: plan.merged ? 'pipewarden' : (DRIVER_NAME[tool] ?? tool), rules } },
      automationDetails: { id: plan.id },
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { [SRCROOT]: { description: { text: 'The root of the scanned repository.' } } },
      results,
      properties: {
        'pipewarden/tools': plan.tools,
        'pipewarden/totalResults': plan.total,
        'pipewarden/droppedResults': plan.droppedByRunLimit + plan.droppedByCap,
      },
    };
    if (vcs) run.versionControlProvenance = vcs;
    const notes = notifications(plan, limits, cap);
    if (notes.length) run.invocations = [{ executionSuccessful: true, toolExecutionNotifications: notes }];
    runs.push(run);
  }
  return { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs };
}

function gzippedSize(text: string): number {
  // Level 1 compresses less than the default level uploaders use: an upper bound, and fast.
  return gzipSync(text, { level: 1 }).length;
}

/** The log and its JSON text, within GitHub's limits: the most severe results kept, the cut announced. */
function buildSarif(doc: FindingsDocument, options: SarifOptions): { log: SarifLog; text: string } {
  const limits: SarifLimits = { ...GITHUB_SARIF_LIMITS, ...options.limits };
  const sorted = [...doc.findings].sort(compareFindings);
  const plans = planRuns(doc, sorted, limits);
  const cap: { value: number; reason: CapReason } = {
    value: options.max ?? Number.MAX_SAFE_INTEGER,
    reason: 'max',
  };
  for (;;) {
    selectResults(sorted, plans, cap.value, Math.min(limits.resultsPerRun, limits.rulesPerRun));
    const log = assemble(doc, plans, limits, cap);
    const text = JSON.stringify(log) + '\n';
    // Raw bytes within the limit need no compression to know; past it, measure the gzipped size.
    const kept = [...new Set(plans.values())].reduce((n, p) => n + p.kept.length, 0);
    if (Buffer.byteLength(text) <= limits.gzipBytes || kept === 0) return { log, text };
    const gz = gzippedSize(text);
    if (gz <= limits.gzipBytes) return { log, text };
    // Shrink in proportion, with a margin, and always by at least one result: this ends.
    cap.value = Math.max(0, Math.min(kept - 1, Math.floor((kept * limits.gzipBytes * 0.95) / gz)));
    cap.reason = 'size';
  }
}

/**
 * One SARIF 2.1.0 log for GitHub code scanning: one run per tool with its own category
 * (`automationDetails.id` = `pipewarden/<tool>/`), rules with `security-severity` and CWE tags, results
 * with pipewarden's fingerprint in `partialFingerprints`, suppressions as `external` with their reason.
 * Within GitHub's upload limits: past 20 tools the least severe share one run; past 25,000 results a run,
 * `max`, or 10 MB gzipped, the least severe results are left out and the run's notifications say how many.
 */
export function renderSarif(doc: FindingsDocument, options: SarifOptions = {}): SarifLog {
  return buildSarif(doc, options).log;
}

/** The `sarif` output of `pipewarden report`: the log as compact JSON (size counts against the limit). */
export function renderSarifText(doc: FindingsDocument, options: SarifOptions = {}): string {
  return buildSarif(doc, options).text;
}
