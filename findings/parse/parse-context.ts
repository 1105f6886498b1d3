import type { FindingLocation } from '../model/finding.js';
import { normalizePath, type PathOptions } from '../paths/normalize-path.js';

/** What every parser gets besides the JSON: path handling and a place for warnings. */
export class ParseContext {
  // One line per file and kind of warning, with a count: 9 results with the same problem are one line.
  private readonly kinds = new Map<string, { count: number; first?: string }>();
  constructor(
    readonly file: string,
    readonly paths: PathOptions,
  ) {}

  /** The file as messages show it: quoted and escaped when it holds a newline or other control character. */
  get name(): string {
    return escapeControl(this.file) === this.file ? this.file : JSON.stringify(this.file);
  }

  /** `message` names the kind of problem; `detail` (the first one is kept) says where or what. */
  warn(message: string, detail?: string): void {
    const seen = this.kinds.get(message);
    if (seen) seen.count++;
    else this.kinds.set(message, { count: 1, ...(detail !== undefined ? { first: detail } : {}) });
  }

  /** One line each: control characters from scanner text (a path with a newline) are shown escaped. */
  get warnings(): string[] {
    return [...this.kinds].map(([kind, { count, first: raw }]) => {
      const message = escapeControl(kind);
      const first = raw === undefined ? undefined : escapeControl(raw);
      if (count === 1) return `${this.name}: ${message}${first !== undefined ? `: ${first}` : ''}`;
      return `${this.name}: ${message} (${count} times${first !== undefined ? `; the first: ${first}` : ''})`;
    });
  }

  /** A repo-relative path, or undefined (with a warning) when the scanner's path is outside the repository. */
  path(raw: string | undefined, uriBaseId?: string, paths: PathOptions = this.paths): string | undefined {
    if (raw === undefined) return undefined;
    const result = normalizePath(raw, paths, uriBaseId);
    if ('rejected' in result) {
      this.warn('location dropped', result.rejected);
      return undefined;
    }
    return result.path;
  }

  location(
    raw: string | undefined,
    lines: Omit<FindingLocation, 'path'> = {},
    uriBaseId?: string,
    paths?: PathOptions,
  ): FindingLocation | undefined {
    const p = this.path(raw, uriBaseId, paths);
    if (p === undefined) return undefined;
    const loc: FindingLocation = { path: p };
    if (lines.startLine !== undefined) loc.startLine = lines.startLine;
    if (lines.endLine !== undefined && lines.startLine !== undefined && lines.endLine >= lines.startLine)
      loc.endLine = lines.endLine;
    if (lines.startColumn !== undefined) loc.startColumn = lines.startColumn;
    if (lines.endColumn !== undefined) loc.endColumn = lines.endColumn;
    if (lines.snippet) loc.snippet = lines.snippet;
    return loc;
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
const escapeControl = (text: string) => text.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));

/** CVEs first, then GHSA, then the rest; upper-cased and de-duplicated. */
export function sortIds(ids: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const raw of ids) {
    const id = raw.trim();
    if (!id) continue;
    // CVE and CWE ids are upper-case; GHSA ids are canonically lower-case after the prefix.
    if (/^(cve|cwe)-/i.test(id)) seen.add(id.toUpperCase());
    else if (/^ghsa-/i.test(id)) seen.add(`GHSA-${id.slice(5).toLowerCase()}`);
    else seen.add(id);
  }
  const rank = (id: string) =>
    id.startsWith('CVE-') ? 0 : id.startsWith('GHSA-') ? 1 : id.startsWith('CWE-') ? 3 : 2;
  return [...seen].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** `CWE-79` from 79, "79", "CWE-079", "external/cwe/cwe-079". */
export function cweId(value: unknown): string | undefined {
  const m = /(?:^|cwe[-/_ ]?)0*(\d+)$/i.exec(String(value).trim());
  return m ? `CWE-${m[1]}` : undefined;
}
