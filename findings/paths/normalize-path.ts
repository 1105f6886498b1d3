import path from 'node:path/posix';

export interface PathOptions {
  /** The repository checkout on this machine (CODEBUILD_SRC_DIR, GITHUB_WORKSPACE or the working directory). */
  sourceRoot: string;
  /** Absolute roots a SARIF run declares for its uriBaseIds (`originalUriBaseIds`). */
  uriBaseIds?: Record<string, string>;
}

export type NormalizedPath = { path: string } | { rejected: string };

// CodeBuild checks the source out under /codebuild/output/src<N>/src[/<host>/<owner>/<repo>];
// parallel actions run in different builds, so reports carry other builds' roots too.
const CODEBUILD_ROOT = /^\/codebuild\/output\/src\d+\/src(?:\/s3\/\d+)?\//;
const PLACEHOLDER_ROOT =
  /^(?:%SRCROOT%|\$\{?SRCROOT\}?|PROJECTROOT|\$\{?PROJECTROOT\}?|\$\{?CODEBUILD_SRC_DIR\}?)[\\/]?/;

/**
 * Turns whatever a scanner wrote (absolute, `file://`, `%SRCROOT%/…`, Windows separators) into a
 * repository-relative POSIX path. Paths outside the repository are rejected, never guessed.
 */
export function normalizePath(raw: string, options: PathOptions, uriBaseId?: string): NormalizedPath {
  let p = raw.trim();
  if (p === '') return { rejected: 'empty path' };
  if (/^file:/i.test(p)) {
    try {
      p = decodeURIComponent(new URL(p).pathname);
    } catch {
      return { rejected: `unreadable file URI ${raw}` };
    }
  } else if (/^[a-z][a-z0-9+.-]+:\/\//i.test(p)) {
    return { rejected: `not a file path: ${raw}` };
  } else if (/%[0-9a-f]{2}/i.test(p)) {
    try {
      p = decodeURIComponent(p);
    } catch {
      /* keep as is */
    }
  }
  p = p.replace(/\\/g, '/').replace(/^\/([a-zA-Z]:\/)/, '$1');
  if (uriBaseId && options.uriBaseIds?.[uriBaseId] && !p.startsWith('/')) {
    const base = normalizeRoot(options.uriBaseIds[uriBaseId]);
    if (base.startsWith('/')) p = path.join(base, p);
  }
  p = p.replace(PLACEHOLDER_ROOT, '');
  const root = normalizeRoot(options.sourceRoot);
  if (p.startsWith('/') || /^[a-zA-Z]:\//.test(p)) {
    if (root && (p === root || p.startsWith(root + '/'))) p = p.slice(root.length + 1);
    else if (CODEBUILD_ROOT.test(p)) p = p.replace(CODEBUILD_ROOT, '');
    else return { rejected: `absolute path outside the repository: ${raw}` };
  }
  const normalized = path.normalize(p);
  if (normalized === '..' || normalized.startsWith('../'))
    return { rejected: `path escapes the repository: ${raw}` };
  if (normalized === '.' || normalized === '') return { rejected: `path is the repository root: ${raw}` };
  return { path: normalized.replace(/^\.\//, '') };
}

function normalizeRoot(root: string): string {
  let r = root.replace(/\\/g, '/');
  if (/^file:/i.test(r)) {
    try {
      r = decodeURIComponent(new URL(r).pathname);
    } catch {
      return '';
    }
  }
  return r.replace(/\/+$/, '');
}
