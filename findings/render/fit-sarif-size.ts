import { gzipSync } from 'node:zlib';
import { sortFindings } from '../model/order-findings.js';
import type { Finding, FindingsDocument } from '../model/finding.js';
import { cweTags, sarifResult, sarifRule } from './sarif-results.js';
import {
  COMMA,
  GITHUB_SARIF_LIMITS,
  logParts,
  planRuns,
  type RunPlan,
  type SarifLimits,
  type WrittenResults,
} from './sarif-runs.js';

export interface SarifOptions {
  /** At most this many results in the whole log (the most severe); the CLI's `--max`. */
  max?: number;
  /** Tighter limits than GitHub's (tests, or a GitHub Enterprise Server with other limits). */
  limits?: Partial<SarifLimits>;
  /** Up to this many bytes the gzipped size is measured on every block, beyond on a sample (16 MiB). */
  gzipExactUpTo?: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * The results that may go into the log (within the per-run limit and `--max`), worst first, each written
 * as JSON at most once and only when needed, with its rule's JSON where the rule first appears.
 */
class Candidates implements WrittenResults {
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
      this.result[i] = Buffer.from(JSON.stringify(sarifResult(f, id, plan.merged)));
      // Results come worst first, so a rule's first result is its worst: the rule's severity.
      const tags = [...this.tags.get(`${plan.id}\u0000${id}`)!].slice(0, this.limits.tagsPerRule);
      this.rule[i] = this.firstOfRule[i] ? Buffer.from(JSON.stringify(sarifRule(id, f, tags))) : EMPTY;
    }
    return this.result[i]!.length + 1 + this.rule[i]!.length;
  }
}

const CHUNK = 1 << 20;

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
export function fitSarifChunks(doc: FindingsDocument, options: SarifOptions): Iterable<Buffer> {
  const limits: SarifLimits = { ...GITHUB_SARIF_LIMITS, ...options.limits };
  const sorted = sortFindings([...doc.findings]);
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
