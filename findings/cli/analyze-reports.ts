import { access, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  DEFAULT_POLICY,
  loadAppliedPolicy,
  loadProposedPolicy,
  loadRepositoryPolicy,
  POLICY_PATH,
  type ResolvedPolicy,
} from '../config/policy-file.js';
import { buildDocument } from '../document/build-document.js';
import { PipewardenError } from '../errors.js';
import { parseRepoConfigText } from '../config/repo-config.js';
import type { FindingsDocument, ScanContext } from '../model/finding.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import { loadReport, STDIN } from '../load/load-report.js';
import type { LoadedReport } from '../parse/parse-report.js';
import { reclaimMemory } from '../parse/reclaim-memory.js';
import { scanContext, type ContextFlags } from './scan-context.js';

/** The options shared by `report`, `gate` and `publish`: inputs, baseline, config and context. */
export interface AnalyzeFlags extends ContextFlags {
  baseline?: string;
  config?: string;
  proposedConfig?: string;
  sourceRoot?: string;
  failOn?: string;
  newOnly?: boolean;
  /** The cloud assembly cdk-nag reports point into; default: each report's own folder (none for stdin). */
  cdkOut?: string;
}

export function parseSeverity(value: string, flag: string): Severity {
  const s = value.toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(s))
    throw new PipewardenError(
      `${flag} ${value}: not a severity; use one of ${SEVERITIES.map((x) => x.toLowerCase()).join(', ')}`,
    );
  return s as Severity;
}

/** Above this size a report's parse tree is worth collecting before another large one is parsed. */
const LARGE_REPORT = 16 * 1024 * 1024;

/**
 * Collects the parse trees already read before a large input is parsed, so two large trees are never resident
 * at once, and only then: a full collection marks every finding read so far, so one after the last large input
 * (or before a small one) costs CPU and saves no peak memory (0.6 s of `gate`'s 6 s on the bench's corpus).
 */
class ParseTreeCollector {
  private pending = 0;
  async before(file: string): Promise<void> {
    const size =
      file === STDIN
        ? 0
        : await stat(file).then(
            (s) => s.size,
            () => 0,
          );
    if (size > LARGE_REPORT && this.pending > LARGE_REPORT) {
      reclaimMemory();
      this.pending = 0;
    }
    this.pending += size;
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Missing means "no such file" (a link to nowhere too): a symbolic link loop, a denied directory or stdin
 * (`-`) go on to be read, so their own error (ELOOP, EACCES…) is what the user sees, not "no such file".
 */
async function missingReport(file: string): Promise<boolean> {
  if (file === STDIN) return false;
  return stat(file).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT' || error.code === 'ENOTDIR',
  );
}

/**
 * The policy the gate applies: --config, else the checkout's .github/pipewarden.yml, else the defaults.
 * With --proposed-config the checkout's file is the proposal, never the policy: --config is then required.
 * On a feature run the checkout is unreviewed: without --config its file is never read (undefined here; see
 * `featurePolicy`).
 */
export async function resolveConfig(
  flags: AnalyzeFlags,
  sourceRoot: string,
  kind?: ScanContext['pipelineKind'],
): Promise<ResolvedPolicy | undefined> {
  if (flags.config)
    return loadAppliedPolicy(flags.config, flags.proposedConfig ? 'base-branch' : 'repository');
  if (flags.proposedConfig)
    throw new PipewardenError(
      `--proposed-config ${flags.proposedConfig} needs --config <policy>: the policy to apply (the base branch's, from \`pipewarden fetch baseline --policy-out <file>\`)`,
    );
  if (kind === 'feature') return undefined;
  const inRepo = join(sourceRoot, POLICY_PATH);
  return (await exists(inRepo)) ? loadRepositoryPolicy(inRepo) : DEFAULT_POLICY;
}

/**
 * A feature run given no --config: the policy a findings document among the inputs recorded (a `report`
 * over the gate's own output re-applies the gate's policy), else the defaults, with a warning.
 */
function featurePolicy(reports: LoadedReport[]): { resolved: ResolvedPolicy; warning?: string } {
  for (const r of reports) {
    const policy = r.document?.policy;
    if (policy && typeof policy.text === 'string')
      return {
        resolved: { config: parseRepoConfigText(policy.text, `${r.file} (its recorded policy)`), policy },
      };
  }
  return {
    resolved: DEFAULT_POLICY,
    warning: `a feature run does not apply the checkout's ${POLICY_PATH}: pipewarden's defaults apply; pass --config <file> from \`pipewarden fetch baseline --policy-out <file>\` to apply the base branch's policy`,
  };
}

/** A path under the source root as a repository-relative POSIX path, else undefined. */
function inRepository(file: string, sourceRoot: string): string | undefined {
  const rel = relative(resolve(sourceRoot), resolve(file));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : undefined;
}

function proposedPolicy(file: string, sourceRoot: string) {
  const name = inRepository(file, sourceRoot);
  return name === undefined ? loadProposedPolicy(file) : loadProposedPolicy(file, name, sourceRoot);
}

/**
 * Reads every report and builds the findings document. A report file that does not exist is "missing"
 * (the gate fails closed on it); one that exists but is broken is an input error.
 */
export async function analyzeReports(
  files: string[],
  flags: AnalyzeFlags,
  options: { missingIsError: boolean; unordered?: boolean },
  env = process.env,
): Promise<FindingsDocument> {
  const sourceRoot = flags.sourceRoot ?? env.CODEBUILD_SRC_DIR ?? env.GITHUB_WORKSPACE ?? process.cwd();
  const context = scanContext(flags, env);
  const given = await resolveConfig(flags, sourceRoot, context.pipelineKind);
  // Named as the repository names it (.github/pipewarden.yml), not by the build machine's checkout path; a
  // file named inside the checkout must also resolve inside it (no symbolic link out of the repository).
  const proposed = flags.proposedConfig ? await proposedPolicy(flags.proposedConfig, sourceRoot) : undefined;
  const paths = { sourceRoot };
  const reports: LoadedReport[] = [];
  const missing: string[] = files.length ? [] : ['(no report given)'];
  if (files.filter((f) => f === STDIN).length > 1)
    throw new PipewardenError(
      '- (stdin) is given more than once: stdin holds one report; pass the others as files',
    );
  const collector = new ParseTreeCollector();
  for (const file of files) {
    if (await missingReport(file)) {
      if (options.missingIsError)
        throw new PipewardenError(
          `${file}: cannot read the report (no such file); check the path, or that the scan step wrote it`,
        );
      missing.push(file);
      continue;
    }
    await collector.before(file);
    reports.push(await loadReport(file, paths, flags.cdkOut ? { cdkOut: flags.cdkOut } : {}));
  }
  let baseline: LoadedReport | undefined;
  if (flags.baseline) {
    await collector.before(flags.baseline);
    baseline = await loadReport(flags.baseline, paths);
    if (baseline.format !== 'pipewarden' && baseline.format !== 'empty')
      // A raw scanner report works as a baseline too: it is fingerprinted the same way.
      baseline.format = `${baseline.format} (as baseline)`;
  }
  const fallback = given ? undefined : featurePolicy(reports);
  const { config, policy } = given ?? fallback!.resolved;
  const gate: { failOn?: Severity; newOnly?: boolean } = {};
  if (flags.failOn) gate.failOn = parseSeverity(flags.failOn, '--fail-on');
  if (flags.newOnly !== undefined) gate.newOnly = flags.newOnly;
  return buildDocument({
    reports,
    // Read for this document only: triaged in place, not copied.
    consumeReports: true,
    ...(options.unordered ? { unordered: true } : {}),
    missing,
    config,
    policy,
    ...(proposed ? { proposed } : {}),
    context,
    gate,
    ...(fallback?.warning ? { notes: [fallback.warning] } : {}),
    ...(baseline ? { baseline } : {}),
  });
}
