import { PipewardenError } from '../errors.js';
import type { FindingKind, ParsedFinding } from '../model/finding.js';
import {
  severityFromSarifLevel,
  severityFromScore,
  severityFromUnknownSarifLevel,
  type Severity,
} from '../model/severity.js';
import { normalizePath } from '../paths/normalize-path.js';
import {
  arrayAt,
  isObject,
  lineAt,
  objectAt,
  optionalArrayAt,
  optionalNumber,
  optionalString,
  stringList,
  type Json,
} from './read-report-fields.js';
import { codeUnitOrder, cweId, sortIds, sortSmall, type ParseContext } from './parse-context.js';

export function isSarif(json: unknown): boolean {
  return (
    isObject(json) &&
    Array.isArray(json.runs) &&
    (json.version === '2.1.0' || typeof json.$schema === 'string')
  );
}

/** Tool name as pipewarden reports it, and what kind of scanner it is. */
function toolOf(driverName: string): { tool: string; kind: FindingKind } {
  const n = driverName.toLowerCase();
  if (n === 'snykcode' || n === 'snyk code') return { tool: 'snyk-code', kind: 'code' };
  if (n.includes('snyk') && n.includes('iac')) return { tool: 'snyk-iac', kind: 'iac' };
  if (n.includes('snyk') && n.includes('container')) return { tool: 'snyk-container', kind: 'container' };
  if (n.includes('snyk')) return { tool: 'snyk-open-source', kind: 'dependency' };
  if (/gitleaks|trufflehog|secret/.test(n)) return { tool: driverName, kind: 'secret' };
  if (/checkov|tfsec|kics|cfn|kube/.test(n)) return { tool: driverName, kind: 'iac' };
  return { tool: driverName, kind: 'code' };
}

/** Any SARIF 2.1.0 log: one finding per result (pass / notApplicable results are not findings). */
export function parseSarif(json: unknown, ctx: ParseContext): ParsedFinding[] {
  const log = objectAt(json, '(root)');
  const runs = arrayAt(log.runs, 'runs');
  // SARIF's empty `runs` means no tool ran: nothing was checked, which is not zero findings.
  if (runs.length === 0)
    throw new PipewardenError(
      `${ctx.name}: SARIF with no runs (no tool ran) is not a scan result; pass the SARIF the scanner wrote for its run`,
    );
  // SARIF §3.14.23: `results` "must be present (but may be empty) if a log file represents an actual scan";
  // a log whose runs all lack it only exports rules metadata.
  if (!runs.some((run) => isObject(run) && Array.isArray(run.results)))
    throw new PipewardenError(
      `${ctx.name}: SARIF without results in any run (rules metadata, not a scan) is not a scan result; pass the SARIF the scanner wrote for its run`,
    );
  const out: ParsedFinding[] = [];
  let unjustified = 0;
  runs.forEach((runValue, r) => {
    const run = objectAt(runValue, `runs[${r}]`);
    const tool = objectAt(run.tool, `runs[${r}].tool`);
    const driver = objectAt(tool.driver, `runs[${r}].tool.driver`);
    const driverName = optionalString(driver.name, `runs[${r}].tool.driver.name`) ?? 'SARIF';
    const { tool: toolName, kind } = toolOf(driverName);
    const rules = [
      ...optionalArrayAt(driver.rules, `runs[${r}].tool.driver.rules`),
      ...optionalArrayAt(tool.extensions, `runs[${r}].tool.extensions`).flatMap((e) =>
        isObject(e) ? optionalArrayAt(e.rules, `runs[${r}].tool.extensions[].rules`) : [],
      ),
    ].filter(isObject);
    const ruleById = new Map<string, Json>();
    for (const rule of rules) if (typeof rule.id === 'string') ruleById.set(rule.id, rule);
    const driverRules = optionalArrayAt(driver.rules, `runs[${r}].tool.driver.rules`);
    // What a result takes from its rule is read once per rule, not once per result (CodeQL: 100,000s of
    // results over a few hundred rules).
    const ruleInfos = new Map<Json | undefined, RuleInfo>();
    const artifacts = optionalArrayAt(run.artifacts, `runs[${r}].artifacts`);
    const paths = { ...ctx.paths, uriBaseIds: uriBasesInRepository(run.originalUriBaseIds, ctx) };
    // A run whose invocation did not succeed checked nothing (or not everything): its missing results are no
    // evidence of a clean scan, and no honest finding can stand for what it did not check: refuse the file.
    optionalArrayAt(run.invocations, `runs[${r}].invocations`).forEach((inv) => {
      if (!isObject(inv) || inv.executionSuccessful !== false) return;
      const notes = optionalArrayAt(
        inv.toolExecutionNotifications,
        `runs[${r}].invocations[].toolExecutionNotifications`,
      )
        .map((n) => (isObject(n) ? textOf(n.message) : undefined))
        .filter((t): t is string => !!t);
      // The one exception: the NOT SCANNED report `fetch inspector --allow-not-covered` writes, which the
      // pipeline's owner asked for explicitly; it has no results to stand for and stays a warning.
      if (isObject(run.properties) && isObject(run.properties.pipewardenNotScanned)) {
        ctx.warn(
          `NOT SCANNED: ${driverName} did not complete its scan${notes.length ? `: ${notes.join('; ')}` : ''}`.replace(
            /\s+/g,
            ' ',
          ),
        );
        return;
      }
      throw new PipewardenError(
        `${ctx.name}: ${JSON.stringify(driverName)} did not complete its scan (runs[${r}].invocations[].executionSuccessful: false${notes.length ? `: ${oneLine(notes.join('; '))}` : ''}); fix the scanner's run and scan again`,
      );
    });

    optionalArrayAt(run.results, `runs[${r}].results`).forEach((resultValue, i) => {
      const at = `runs[${r}].results[${i}]`;
      const result = objectAt(resultValue, at);
      if (result.kind === 'pass' || result.kind === 'notApplicable') return;
      const ruleRef = isObject(result.rule) ? result.rule : undefined;
      const ruleIndex = optionalNumber(result.ruleIndex ?? ruleRef?.index, at, '.ruleIndex');
      const ruleId =
        optionalString(result.ruleId, at, '.ruleId') ??
        optionalString(ruleRef?.id, at, '.rule.id') ??
        undefined;
      const rule =
        (ruleIndex !== undefined && isObject(driverRules[ruleIndex])
          ? (driverRules[ruleIndex] as Json)
          : undefined) ?? (ruleId ? ruleById.get(ruleId) : undefined);
      const id = ruleId ?? optionalString(rule?.id, at, '.rule.id') ?? 'unknown-rule';
      let info = ruleInfos.get(rule);
      if (!info) ruleInfos.set(rule, (info = ruleInfo(rule, kind, at)));
      const ruleProps = info.props;
      const resultProps = isObject(result.properties) ? result.properties : NONE;
      const level: unknown = result.level ?? info.level ?? 'warning';

      // security-severity (GitHub's convention) beats the level: it is what the scanner meant, when it is a
      // CVSS-range number; anything else is warned about and the level decides.
      const own = resultProps['security-severity'];
      // Most results take the rule's score: read (and worded) once per rule.
      const fromRule = own === undefined || own === null;
      const rawScore = fromRule ? ruleProps['security-severity'] : own;
      const secSev = fromRule ? info.score : scoreOf(rawScore);
      if (rawScore !== undefined && rawScore !== null && secSev === undefined)
        ctx.warn(
          'security-severity that is not a number from 0 to 10 ignored; the level decides',
          `${at}: ${JSON.stringify(rawScore)?.slice(0, 40)}`,
        );
      let severity: Severity;
      let originalSeverity: string;
      if (secSev !== undefined) {
        severity = severityFromScore(secSev);
        originalSeverity = fromRule ? info.scoreText! : `security-severity ${secSev}`;
      } else if (result.kind === 'informational') {
        severity = 'INFO';
        originalSeverity = typeof level === 'string' ? level : 'informational';
      } else {
        const known = severityFromSarifLevel(level);
        if (known) severity = known;
        else {
          severity = severityFromUnknownSarifLevel(level);
          ctx.warn(
            'level(s) that SARIF does not define (error, warning, note, none) read at their most severe reasonable meaning',
            `${at}: ${JSON.stringify(level)?.slice(0, 40)} read as ${severity}`,
          );
        }
        originalSeverity = typeof level === 'string' ? level : (JSON.stringify(level) ?? 'level');
      }

      const message = messageText(result.message, rule, at);
      const loc0 = optionalArrayAt(result.locations, at, '.locations')[0];
      let location: ParsedFinding['location'];
      let logicalName: string | undefined;
      if (isObject(loc0)) {
        const physical = isObject(loc0.physicalLocation) ? loc0.physicalLocation : undefined;
        if (physical) {
          let artifact = isObject(physical.artifactLocation) ? physical.artifactLocation : NONE;
          const index = optionalNumber(
            artifact.index,
            at,
            '.locations[0].physicalLocation.artifactLocation.index',
          );
          if (artifact.uri === undefined && index !== undefined && isObject(artifacts[index])) {
            const a = artifacts[index] as Json;
            if (isObject(a.location)) artifact = a.location;
          }
          const region = isObject(physical.region) ? physical.region : NONE;
          const snippet = isObject(region.snippet)
            ? optionalString(region.snippet.text, at, '...snippet.text')
            : undefined;
          location = ctx.location(
            optionalString(artifact.uri, at, '.locations[0].physicalLocation.artifactLocation.uri'),
            {
              startLine: lineAt(region.startLine, at, '.locations[0].physicalLocation.region.startLine'),
              endLine: lineAt(region.endLine, at, '.locations[0].physicalLocation.region.endLine'),
              startColumn: lineAt(region.startColumn, at, '...region.startColumn'),
              endColumn: lineAt(region.endColumn, at, '...region.endColumn'),
              snippet,
            },
            optionalString(artifact.uriBaseId, at, '...artifactLocation.uriBaseId'),
            paths,
          );
        }
        const logical = optionalArrayAt(loc0.logicalLocations, at, '.locations[0].logicalLocations')[0];
        if (isObject(logical))
          logicalName = optionalString(logical.fullyQualifiedName ?? logical.name, at, '...name');
      }

      // Snyk's SARIF names the vulnerability by its rule id (and the CVEs only in the rule's description).
      const idIsVulnerability = kind === 'dependency' || kind === 'container' || /^(CVE|GHSA)-/i.test(id);
      let vulnerabilityIds: string[];
      if (!Array.isArray(resultProps.tags) && !idIsVulnerability)
        // The rule's ids alone: one read-only list shared by its results (mergeFindings replaces, never adds to it).
        vulnerabilityIds = info.sortedIds ??= sortIds(info.ids);
      else {
        const ids = info.ids.slice();
        if (Array.isArray(resultProps.tags)) addTagIds(stringList(resultProps.tags), ids);
        if (/^(CVE|GHSA)-/i.test(id)) ids.push(id);
        if (kind === 'dependency' || kind === 'container') ids.push(id);
        vulnerabilityIds = sortIds(ids);
      }

      // Snyk's SARIF for open source and containers names the package as `name@version`.
      let pkg: ParsedFinding['package'];
      if ((kind === 'dependency' || kind === 'container') && logicalName) {
        const m = /^(.+)@([^@]+)$/.exec(logicalName);
        pkg = m ? { name: m[1]!, version: m[2]! } : { name: logicalName };
      }
      const fp = isObject(result.partialFingerprints)
        ? result.partialFingerprints
        : isObject(result.fingerprints)
          ? result.fingerprints
          : undefined;
      let identity: string | undefined;
      if (fp) {
        const keys = sortSmall(Object.keys(fp), codeUnitOrder);
        for (const k of keys)
          identity = `${identity === undefined ? '' : `${identity}|`}${k}=${String(fp[k])}`;
      }
      // One literal of one shape, absent fields undefined (JSON leaves them out; the order is the document's):
      // adding them one by one grew each finding's property store twice.
      const finding: ParsedFinding = {
        tool: toolName,
        kind,
        ruleId: id,
        title: info.title ?? id,
        description: message,
        severity,
        originalSeverity,
        vulnerabilityIds,
        location,
        helpUri: info.helpUri || undefined,
        remediation: info.help || undefined,
        package: pkg,
        identity,
      };
      const suppressed = suppressionOf(result.suppressions);
      if (suppressed && 'suppression' in suppressed) finding.suppression = suppressed.suppression;
      else if (suppressed) {
        finding.rejectedSuppression = { source: 'scanner', because: NO_JUSTIFICATION };
        unjustified++;
      }
      out.push(finding);
    });
  });
  // Once per file: the count and the fix, not one line per result.
  if (unjustified)
    ctx.warn(
      `${unjustified} result(s) suppressed in the scanner without a justification are not treated as suppressed; give each suppression a justification (SARIF suppressions[].justification, the ignore's reason)`,
    );
  return out;
}

const NO_JUSTIFICATION = 'suppressed in the scanner without a justification';

/** An absent object, read only: one shared instead of a fresh `{}` per result. */
const NONE: Json = Object.freeze({});

/** What every result of one rule shares. */
interface RuleInfo {
  props: Json;
  level: unknown;
  /** Ids from the rule's tags and properties (and, for dependencies, the CVEs its description names). */
  ids: string[];
  title: string | undefined;
  helpUri: string | undefined;
  help: string | undefined;
  /** `ids` in a finding's order, once a result uses them as they are. */
  sortedIds?: string[];
  /** The rule's security-severity, when it is a CVSS-range number, and how a finding words it. */
  score: number | undefined;
  scoreText: string | undefined;
}

/** CWE ids and CVE/GHSA ids among SARIF tags (`external/cwe/cwe-079`, `CVE-2024-1`). */
function addTagIds(tags: string[], ids: string[]): void {
  for (const tag of tags) {
    if (/cwe/i.test(tag)) {
      const c = cweId(tag);
      if (c) ids.push(c);
    } else if (/^(CVE|GHSA)-/i.test(tag)) ids.push(tag);
  }
}

/** Read at the first result that uses the rule: a broken rule field is named by that result, as before. */
function ruleInfo(rule: Json | undefined, kind: FindingKind, at: string): RuleInfo {
  const props = isObject(rule?.properties) ? rule.properties : {};
  const defaultConfig = isObject(rule?.defaultConfiguration) ? rule.defaultConfiguration : {};
  const ids: string[] = [];
  addTagIds(stringList(props.tags), ids);
  for (const c of [...stringList(props.cwe), ...stringList(props.cwes)]) {
    const x = cweId(c);
    if (x) ids.push(x);
  }
  for (const c of [...stringList(props.cve), ...stringList(props.cves)]) ids.push(c);
  if (kind === 'dependency' || kind === 'container')
    for (const cve of (textOf(rule?.fullDescription) ?? '').match(/CVE-\d{4}-\d{4,}/g) ?? []) ids.push(cve);
  const score = scoreOf(props['security-severity']);
  return {
    props,
    score,
    scoreText: score === undefined ? undefined : `security-severity ${score}`,
    level: defaultConfig.level,
    ids,
    title: textOf(rule?.shortDescription) ?? optionalString(rule?.name, at, '.rule.name'),
    helpUri: optionalString(rule?.helpUri, at, '.rule.helpUri'),
    help: textOf(rule?.help),
  };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 300);

/** A `security-severity` in CVSS's range (a number or a numeric string), else undefined. */
function scoreOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 10 ? n : undefined;
}

/**
 * The run's `originalUriBaseIds` that lie inside this checkout. A base elsewhere (`file:///Users/…` on the
 * machine that ran the scan) is not used: a relative `uri` with a `uriBaseId` is relative to the scan root,
 * which is the repository root when the scanner ran there, so it is kept as a repository path, as GitHub code
 * scanning does. A null-prototype object: a `uriBaseId` such as `constructor` finds nothing.
 */
function uriBasesInRepository(value: unknown, ctx: ParseContext): Record<string, string> {
  const bases = Object.create(null) as Record<string, string>;
  if (!isObject(value)) return bases;
  for (const [k, v] of Object.entries(value)) {
    if (!isObject(v) || typeof v.uri !== 'string') continue;
    const probe = normalizePath(`${v.uri.replace(/\/+$/, '')}/x`, ctx.paths);
    if ('path' in probe) bases[k] = v.uri;
  }
  return bases;
}

function textOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const t = value.text ?? value.markdown;
  return typeof t === 'string' && t.trim() ? t : undefined;
}

/** message.text, or the rule's messageStrings[id], with {0} placeholders filled in. */
function messageText(value: unknown, rule: Json | undefined, at: string): string | undefined {
  if (!isObject(value)) return undefined;
  let text = optionalString(value.text, at, '.message.text');
  if (text === undefined && typeof value.id === 'string' && isObject(rule?.messageStrings)) {
    const template = Object.hasOwn(rule.messageStrings, value.id) ? rule.messageStrings[value.id] : undefined;
    if (isObject(template)) text = optionalString(template.text, at, '.message.id');
  }
  if (text === undefined || !text.includes('{')) return text;
  const args = stringList(value.arguments);
  return text.replace(/\{(\d+)\}/g, (m, n: string) => args[Number(n)] ?? m);
}

/**
 * SARIF §3.27.23: suppressed when at least one suppression is not rejected or under review. A suppression is
 * declared by whoever produced the SARIF from the code under review (in-source comments, a scanner's ignore
 * file), so it is honoured only with a `justification`; without one the result stays a finding.
 */
function suppressionOf(
  value: unknown,
): { suppression: NonNullable<ParsedFinding['suppression']> } | { rejected: true } | undefined {
  if (!Array.isArray(value)) return undefined;
  const active = value.filter(isObject).filter((s) => s.status === undefined || s.status === 'accepted');
  if (!active.length) return undefined;
  const justified = active.find((s) => typeof s.justification === 'string' && s.justification.trim());
  if (!justified) return { rejected: true };
  const props = isObject(justified.properties) ? justified.properties : {};
  const expires = typeof props.expiration === 'string' ? props.expiration : undefined;
  const by =
    isObject(props.ignoredBy) && typeof props.ignoredBy.name === 'string' ? props.ignoredBy.name : undefined;
  return {
    suppression: {
      source: 'scanner',
      reason: (justified.justification as string).trim(),
      ...(expires ? { expires } : {}),
      ...(by ? { approvedBy: by } : {}),
      inRepository: true,
    },
  };
}
