import type { FindingLocation } from '../model/finding.js';
import { normalizePath, type NormalizedPath, type PathOptions } from '../paths/normalize-path.js';

/** Past this many distinct paths per context the cache starts afresh: memory stays bounded on any input. */
const PATH_CACHE_LIMIT = 1 << 16;

/** What every parser gets besides the JSON: path handling and a place for warnings. */
export class ParseContext {
  // One line per file and kind of warning, with a count: 9 results with the same problem are one line.
  private readonly kinds = new Map<string, { count: number; first?: string }>();
  // Reports name the same few thousand files over and over: each is normalized once per path options and
  // base id, and every finding in that file shares one path string.
  private readonly normalized = new Map<PathOptions, Map<string, Map<string, NormalizedPath>>>();
  private cached = 0;
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
    const result = this.normalize(raw, paths, uriBaseId);
    if ('rejected' in result) {
      this.warn('location dropped', result.rejected);
      return undefined;
    }
    return result.path;
  }

  private normalize(raw: string, paths: PathOptions, uriBaseId: string | undefined): NormalizedPath {
    let byBase = this.normalized.get(paths);
    if (!byBase) this.normalized.set(paths, (byBase = new Map()));
    let byRaw = byBase.get(uriBaseId ?? '');
    if (!byRaw) byBase.set(uriBaseId ?? '', (byRaw = new Map()));
    let result = byRaw.get(raw);
    if (result === undefined) {
      result = normalizePath(raw, paths, uriBaseId);
      if (++this.cached > PATH_CACHE_LIMIT) {
        this.normalized.clear();
        this.cached = 0;
      } else byRaw.set(raw, result);
    }
    return result;
  }

  location(
    raw: string | undefined,
    lines: Omit<FindingLocation, 'path'> = {},
    uriBaseId?: string,
    paths?: PathOptions,
  ): FindingLocation | undefined {
    const p = this.path(raw, uriBaseId, paths);
    if (p === undefined) return undefined;
    const { startLine, endLine, snippet } = lines;
    // Every field in one literal, absent ones undefined (JSON leaves them out): one allocation of one shape,
    // where adding them one by one grew a second store per location.
    return {
      path: p,
      startLine,
      endLine: endLine !== undefined && startLine !== undefined && endLine >= startLine ? endLine : undefined,
      startColumn: lines.startColumn,
      endColumn: lines.endColumn,
      snippet: snippet || undefined,
    };
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
const escapeControl = (text: string) => text.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));

/** Array.prototype.sort's order (code units), as a comparator. */
export const codeUnitOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorts in place, stable like Array.prototype.sort; arrays of a few items (a finding's ids, a result's
 * fingerprint keys) by insertion, since the built-in sort allocates work space on every call.
 */
export function sortSmall<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  if (items.length > 8) return items.sort(compare);
  for (let i = 1; i < items.length; i++) {
    const item = items[i]!;
    let j = i - 1;
    while (j >= 0 && compare(items[j]!, item) > 0) {
      items[j + 1] = items[j]!;
      j--;
    }
    items[j + 1] = item;
  }
  return items;
}

const idRank = (id: string) =>
  id.startsWith('CVE-') ? 0 : id.startsWith('GHSA-') ? 1 : id.startsWith('CWE-') ? 3 : 2;
const byIdRank = (a: string, b: string) => idRank(a) - idRank(b) || a.localeCompare(b);

/** CVEs first, then GHSA, then the rest; upper-cased and de-duplicated. */
export function sortIds(ids: Iterable<string>): string[] {
  // Called once per finding with a handful of ids: an array and `includes`, not a Set, until the list is long.
  const out: string[] = [];
  let seen: Set<string> | undefined;
  for (const raw of ids) {
    let id = raw.trim();
    if (!id) continue;
    // CVE and CWE ids are upper-case; GHSA ids are canonically lower-case after the prefix.
    if (/^(cve|cwe)-/i.test(id)) id = id.toUpperCase();
    else if (/^ghsa-/i.test(id)) id = `GHSA-${id.slice(5).toLowerCase()}`;
    if (seen ? seen.has(id) : out.includes(id)) continue;
    out.push(id);
    if (seen) seen.add(id);
    else if (out.length > 16) seen = new Set(out);
  }
  return sortSmall(out, byIdRank);
}

/** `CWE-79` from 79, "79", "CWE-079", "external/cwe/cwe-079". */
export function cweId(value: unknown): string | undefined {
  const m = /(?:^|cwe[-/_ ]?)0*(\d+)$/i.exec(String(value).trim());
  return m ? `CWE-${m[1]}` : undefined;
}
