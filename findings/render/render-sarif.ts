import { gzipSync } from 'node:zlib';
import { compareFindings } from '../model/order-findings.js';
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
  /** Up to this many bytes the gzipped size is measured on every block, beyond on a sample (16 MiB). */
  gzipExactUpTo?: number;
}

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';
interface Text {
  text: string;
}
export interface SarifRule {
  id: string;
  shortDescription: Text;
  fullDescription: Text;
  help?: Text;
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
  /** Results of this run that may go into the log (within its limit and `--max`), and all its findings. */
  kept: number;
  total: number;
  /** Left out by GitHub's per-run limit, by `--max`, and by the upload size limit. */
  droppedByRunLimit: number;
  droppedByMax: number;
  droppedBySize: number;
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
  const own = new Set(order.length > limits.runsPerFile ? order.slice(0, limits.runsPerFile - 1) : order);
  const rest = order.filter((t) => !own.has(t)).sort();
  const plans = new Map<string, RunPlan>();
  const fresh = (tools: string[], merged: boolean, id: string): RunPlan => ({
    tools,
    merged,
    id,
    kept: 0,
    total: 0,
    droppedByRunLimit: 0,
    droppedByMax: 0,
    droppedBySize: 0,
  });
  for (const tool of byName) if (own.has(tool)) plans.set(tool, fresh([tool], false, ids.get(tool)!));
  if (rest.length) {
    let id = 'pipewarden/other-tools/';
    for (let n = 2; used.has(id); n++) id = `pipewarden/other-tools-${n}/`;
    const shared = fresh(rest, true, id);
    for (const tool of rest) plans.set(tool, shared);
  }
  return plans;
}

function message(f: Finding): string {
  let text = stripUnsafe(f.title).trim() || f.ruleId;
  if (f.package) {
    const p = f.package;
    text += ` in ${p.name}${p.version ? `@${p.version}` : ''}`;
    text += p.fixedVersion ? ` (fixed in ${p.fixedVersion})` : ' (no fixed version known)';
  }
  // The rule holds the long description; the message says what and where, briefly.
  const description = stripUnsafe(truncateText(f.description ?? '', 600)).trim();
  if (description && description !== text) text += `: ${description}`;
  return clean(text, 300);
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

/** A result names its rule by id only (no ruleIndex): results are written once and trimmed afterwards. */
function result(f: Finding, ruleId: string, merged: boolean): SarifResult {
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

/** A rule from its worst (first) result; `tags` gathered from all its results. */
function newRule(id: string, f: Finding, tags: string[]): SarifRule {
  const rule: SarifRule = {
    id,
    shortDescription: { text: clean(f.title, 1_000) },
    fullDescription: { text: clean(f.description ?? f.title, 1_500) },
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: { 'security-severity': score(f.severity), tags },
  };
  if (f.remediation) rule.help = { text: clean(f.remediation, 2_000) };
  const help = safeUrl(f.helpUri);
  if (help) rule.helpUri = help;
  return rule;
}

function notifications(plan: RunPlan, limits: SarifLimits, max: number | undefined): SarifNotification[] {
  const out: SarifNotification[] = [];
  if (plan.merged)
    out.push({
      level: 'warning',
      message: {
        text: `GitHub code scanning accepts at most ${limits.runsPerFile} runs in one SARIF file: the results of ${clean(plan.tools.join(', '), 2_000)} share this run.`,
      },
    });
  const dropped = plan.droppedByRunLimit + plan.droppedByMax + plan.droppedBySize;
  if (dropped) {
    const why: string[] = [];
    if (plan.droppedByRunLimit)
      why.push(`GitHub code scanning accepts at most ${limits.resultsPerRun} results per run`);
    if (plan.droppedByMax) why.push(`the log was capped at ${max} results (--max)`);
    if (plan.droppedBySize)
      why.push(`GitHub code scanning accepts at most ${limits.gzipBytes} bytes of gzipped SARIF`);
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

/**
 * The results that may go into the log (within the per-run limit and `--max`), worst first, each written
 * as JSON at most once and only when needed, with its rule's JSON where the rule first appears.
 */
class Candidates {
  readonly plan: RunPlan[] = [];
  /**
   * Results as UTF-8 JSON, kept as Buffers: outside the JS heap they cost their bytes and no garbage
   * collector headroom, their sizes are exact bytes, and they go to the file and to gzip without re-encoding.
   */
  readonly result: Buffer[] = [];
  /** The rule's JSON at the rule's first result, else empty. */
  readonly rule: Buffer[] = [];
  private readonly findings: Finding[] = [];
  private readonly ruleId: string[] = [];
  private readonly firstOfRule: boolean[] = [];
  private readonly tags = new Map<string, Set<string>>();

  constructor(
    sorted: Finding[],
    plans: Map<string, RunPlan>,
    private readonly limits: SarifLimits,
    max: number,
  ) {
    const perRun = Math.min(limits.resultsPerRun, limits.rulesPerRun);
    for (const f of sorted) {
      const plan = plans.get(f.tool)!;
      plan.total++;
      if (plan.kept >= perRun) plan.droppedByRunLimit++;
      else if (this.findings.length >= max) plan.droppedByMax++;
      else {
        plan.kept++;
        // In a merged run rule ids are prefixed with their tool, so two tools' rules cannot collide.
        const id = plan.merged ? `${f.tool}/${f.ruleId}` : f.ruleId;
        const key = `${plan.id}\u0000${id}`;
        let tags = this.tags.get(key);
        this.firstOfRule.push(!tags);
        if (!tags) this.tags.set(key, (tags = new Set(['security'])));
        // A rule's CWE tags come from all its results.
        for (const t of cweTags(f)) tags.add(t);
        this.findings.push(f);
        this.plan.push(plan);
        this.ruleId.push(id);
      }
    }
  }

  get length(): number {
    return this.findings.length;
  }

  /** Writes candidate i (once) and returns its size in the log. */
  write(i: number): number {
    if (this.result[i] === undefined) {
      const f = this.findings[i]!;
      const plan = this.plan[i]!;
      const id = this.ruleId[i]!;
      this.result[i] = Buffer.from(JSON.stringify(result(f, id, plan.merged)));
      // Results come worst first, so a rule's first result is its worst: the rule's severity.
      const tags = [...this.tags.get(`${plan.id}\u0000${id}`)!].slice(0, this.limits.tagsPerRule);
      this.rule[i] = this.firstOfRule[i] ? Buffer.from(JSON.stringify(newRule(id, f, tags))) : EMPTY;
    }
    return this.result[i]!.length + 1 + this.rule[i]!.length;
  }
}

const CHUNK = 1 << 20;
const EMPTY = Buffer.alloc(0);
const COMMA = Buffer.from(',');

/** The log as JSON parts, from the first `keep` candidates: each run's frame, then its rules and results. */
function logParts(
  doc: FindingsDocument,
  plans: Map<string, RunPlan>,
  candidates: Candidates,
  keep: number,
  limits: SarifLimits,
  max: number | undefined,
): Buffer[] {
  const unique = [...new Set(plans.values())].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const slot = new Map(unique.map((p, i) => [p, i]));
  const rules: Buffer[][] = unique.map(() => []);
  const results: Buffer[][] = unique.map(() => []);
  for (const p of unique) p.droppedBySize = p.kept;
  for (let i = 0; i < keep; i++) {
    const plan = candidates.plan[i]!;
    const n = slot.get(plan)!;
    results[n]!.push(candidates.result[i]!);
    if (candidates.rule[i]!.length) rules[n]!.push(candidates.rule[i]!);
    plan.droppedBySize--;
  }
  const vcs = provenance(doc.context);
  const runs = unique.map((plan, n) => {
    const run: SarifRun = {
      tool: {
        driver: {
          name: plan.merged ? 'pipewarden' : (DRIVER_NAME[plan.tools[0]!] ?? clean(plan.tools[0]!, 200)),
          rules: `\u0000rules-${n}\u0000` as unknown as SarifRule[],
        },
      },
      automationDetails: { id: plan.id },
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { [SRCROOT]: { description: { text: 'The root of the scanned repository.' } } },
      results: `\u0000results-${n}\u0000` as unknown as SarifResult[],
      properties: {
        // Tool names are scanner text: no control characters (nor the placeholders' NUL) in the frame.
        'pipewarden/tools': plan.tools.map((t) => clean(t, 200)),
        'pipewarden/totalResults': plan.total,
        'pipewarden/droppedResults': plan.droppedByRunLimit + plan.droppedByMax + plan.droppedBySize,
      },
    };
    if (vcs) run.versionControlProvenance = vcs;
    const notes = notifications(plan, limits, max);
    if (notes.length) run.invocations = [{ executionSuccessful: true, toolExecutionNotifications: notes }];
    return run;
  });
  const log: SarifLog = { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs };
  // The frame is small; the rules and results (already JSON) go in where their placeholders are, as
  // parts of their own: a 100 MB log is never copied into one string here.
  const frame = JSON.stringify(log).split(/"\\u0000(rules|results)-(\d+)\\u0000"/);
  const parts: Buffer[] = [];
  for (let i = 0; i < frame.length; i += 3) {
    parts.push(Buffer.from(frame[i]!));
    if (i + 2 >= frame.length) break;
    const list = (frame[i + 1] === 'rules' ? rules : results)[Number(frame[i + 2])]!;
    parts.push(Buffer.from('['));
    for (let j = 0; j < list.length; j++) {
      if (j) parts.push(COMMA);
      parts.push(list[j]!);
    }
    parts.push(Buffer.from(']'));
  }
  parts.push(Buffer.from('\n'));
  return parts;
}

/** Parts joined into chunks of about 1 MB, for writing. */
function* chunksOf(parts: Buffer[]): Generator<Buffer> {
  let from = 0;
  let size = 0;
  for (let i = 0; i < parts.length; i++) {
    size += parts[i]!.length;
    if (size >= CHUNK) {
      yield Buffer.concat(parts.slice(from, i + 1));
      from = i + 1;
      size = 0;
    }
  }
  if (from < parts.length) yield Buffer.concat(parts.slice(from));
}

const BLOCK = 256 * 1024;
/** Up to this size the log is compressed whole (in blocks); beyond, one block in SAMPLE_STRIDE. */
const EXACT_UP_TO = 16 * 1024 * 1024;
const SAMPLE_STRIDE = 4;

/**
 * The gzipped size of the log (default level, as upload tools compress), from blocks of about 256 KB
 * compressed on their own. Each block starts without history, so the sum is a little more than one gzip
 * stream of the log: the safe side. Up to 16 MB every block is compressed; a larger log is measured on
 * every fourth block, scaled by bytes (deflate only looks 32 KB back, so evenly spread blocks stand for
 * the whole well), and the caller keeps a margin for that estimate.
 */
function gzippedSize(
  parts: Buffer[],
  bytes: number,
  exactUpTo = EXACT_UP_TO,
): { size: number; estimated: boolean } {
  const stride = bytes <= exactUpTo ? 1 : SAMPLE_STRIDE;
  let block = 0;
  let sampledBytes = 0;
  let sampledGz = 0;
  let from = 0;
  let size = 0;
  for (let i = 0; i < parts.length; i++) {
    size += parts[i]!.length;
    if (size < BLOCK && i < parts.length - 1) continue;
    if (block++ % stride === 0) {
      const buf = Buffer.concat(parts.slice(from, i + 1));
      sampledBytes += buf.length;
      sampledGz += gzipSync(buf).length;
    }
    from = i + 1;
    size = 0;
  }
  return { size: sampledBytes ? Math.ceil((sampledGz * bytes) / sampledBytes) : 0, estimated: stride > 1 };
}

/** The compression ratio of results and rules, from an even sample of about 2 MB of them. */
function sampleRatio(candidates: Candidates, from: number, bytesSoFar: number): number {
  const perResult = bytesSoFar / Math.max(1, from);
  const step = Math.max(1, Math.ceil((candidates.length * perResult) / 2_000_000));
  const sample: Buffer[] = [];
  for (let i = 0; i < candidates.length; i += step) {
    candidates.write(i);
    sample.push(candidates.result[i]!, COMMA, candidates.rule[i]!, COMMA);
  }
  const text = Buffer.concat(sample);
  return text.length ? gzipSync(text).length / text.length : 1;
}

/**
 * The log as JSON chunks within GitHub's limits. Results are written worst first, once, and only as many
 * as can fit: while their raw size is under the limit nothing needs compressing; past it, a sample's
 * compression ratio says how many fit, and the cut is compressed to be sure (cut further if ever needed).
 */
function buildChunks(doc: FindingsDocument, options: SarifOptions): Iterable<Buffer> {
  const limits: SarifLimits = { ...GITHUB_SARIF_LIMITS, ...options.limits };
  const sorted = [...doc.findings].sort(compareFindings);
  const plans = planRuns(doc, sorted, limits);
  const candidates = new Candidates(sorted, plans, limits, options.max ?? Number.MAX_SAFE_INTEGER);
  const cost: number[] = [];
  let used = 0;
  const fill = (budget: number) => {
    while (cost.length < candidates.length) {
      const c = candidates.write(cost.length);
      if (used + c > budget) return false;
      cost.push(c);
      used += c;
    }
    return true;
  };
  if (!fill(limits.gzipBytes)) fill((limits.gzipBytes * 0.95) / sampleRatio(candidates, cost.length, used));
  let keep = cost.length;
  for (;;) {
    const parts = logParts(doc, plans, candidates, keep, limits, options.max);
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    if (bytes <= limits.gzipBytes || keep === 0) return chunksOf(parts);
    const { size: gz, estimated } = gzippedSize(parts, bytes, options.gzipExactUpTo);
    if (gz <= limits.gzipBytes * (estimated ? 0.97 : 1)) return chunksOf(parts);
    // Over after all: aim lower in proportion, and always by at least one result, so this ends.
    const kept = cost.slice(0, keep).reduce((n, c) => n + c, 0);
    const budget = Math.min((kept * limits.gzipBytes * 0.95) / gz, kept - cost[keep - 1]!);
    let sum = 0;
    let fit = 0;
    while (fit < keep && sum + cost[fit]! <= budget) sum += cost[fit++]!;
    keep = fit;
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
  return JSON.parse(renderSarifText(doc, options)) as SarifLog;
}

/** The `sarif` output of `pipewarden report`, as compact JSON (size counts against the limit). */
export function renderSarifText(doc: FindingsDocument, options: SarifOptions = {}): string {
  return Buffer.concat([...buildChunks(doc, options)]).toString('utf8');
}

/** The same, in chunks: the CLI writes them without joining a string as large as the log. */
export function renderSarifChunks(doc: FindingsDocument, options: SarifOptions = {}): Iterable<Buffer> {
  return buildChunks(doc, options);
}
