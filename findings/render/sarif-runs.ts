import type * as Sarif from 'sarif';
import type { Finding, FindingsDocument, ScanContext } from '../model/finding.js';
import { SEVERITY_RANK } from '../model/severity.js';
import { safeUrl } from './escape-text.js';
import { SRCROOT, clean, type SarifResult, type SarifRule, type SarifText } from './sarif-results.js';

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

export interface SarifNotification extends Sarif.Notification {
  level: 'warning';
  message: SarifText;
}
export interface SarifRun extends Sarif.Run {
  tool: { driver: Sarif.ToolComponent & { rules: SarifRule[] } };
  automationDetails: Sarif.RunAutomationDetails & { id: string };
  columnKind: 'utf16CodeUnits';
  originalUriBaseIds: Record<string, Sarif.ArtifactLocation & { description: SarifText }>;
  versionControlProvenance?: Sarif.VersionControlDetails[];
  invocations?: (Sarif.Invocation & { toolExecutionNotifications: SarifNotification[] })[];
  results: SarifResult[];
  properties: Sarif.PropertyBag;
}
export interface SarifLog extends Sarif.Log {
  $schema: string;
  runs: SarifRun[];
}

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

function slug(tool: string): string {
  return (
    tool
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'tool'
  );
}

/** One output run: one tool, or (past GitHub's run limit) several tools merged. */
export interface RunPlan {
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

/** The run of each tool, keyed by tool name (tools merged past the run limit share one plan). */
export function planRuns(
  doc: FindingsDocument,
  sorted: Finding[],
  limits: SarifLimits,
): Map<string, RunPlan> {
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
  const p: Sarif.VersionControlDetails = { repositoryUri: `${server}/${ctx.repo}` };
  if (ctx.commit) p.revisionId = ctx.commit;
  if (ctx.branch) p.branch = ctx.branch;
  return [p];
}

/** Results already written as UTF-8 JSON, worst first, with their run and their rule's JSON (or empty). */
export interface WrittenResults {
  readonly plan: RunPlan[];
  readonly result: Buffer[];
  readonly rule: Buffer[];
}

export const COMMA = Buffer.from(',');

/** The log as JSON parts, from the first `keep` results: each run's frame, then its rules and results. */
export function logParts(
  doc: FindingsDocument,
  plans: Map<string, RunPlan>,
  written: WrittenResults,
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
    const plan = written.plan[i]!;
    const n = slot.get(plan)!;
    results[n]!.push(written.result[i]!);
    if (written.rule[i]!.length) rules[n]!.push(written.rule[i]!);
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
