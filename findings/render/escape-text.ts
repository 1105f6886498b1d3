/**
 * Scanner text is untrusted: a rule description, a file path or a suppression reason can hold HTML,
 * Markdown, @mentions or control characters. Every renderer passes it through one of these helpers.
 */

// C0/C1 controls (tab and newline kept), DEL, and the bidirectional overrides that make text display
// differently from what it is ("Trojan Source"); U+FEFF and U+2028/2029 would break lines or hide text.
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/g;
const ZWSP = '\u200B';

/** Removes control and bidi-override characters; CRLF and CR become LF. */
export function stripUnsafe(text: string): string {
  // Most text has nothing to strip: one test is cheaper than two replacements (100,000 findings).
  UNSAFE.lastIndex = 0;
  if (!text.includes('\r') && !UNSAFE.test(text)) return text;
  return text.replace(/\r\n?/g, '\n').replace(UNSAFE, '');
}

/** Cuts to at most `max` UTF-16 code units (so also ≤ max characters), never inside a surrogate pair. */
export function truncateText(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return ellipsis.slice(0, Math.max(0, max));
  let end = max - ellipsis.length;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + ellipsis;
}

const encoder = new TextEncoder();

/** Cuts to at most `maxBytes` bytes of UTF-8 (GitHub's "64 KB" fields), on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number, ellipsis = '…'): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no encoding at all.
  if (text.length * 3 <= maxBytes) return text;
  if (encoder.encode(text).length <= maxBytes) return text;
  const budget = maxBytes - encoder.encode(ellipsis).length;
  let lo = 0;
  let hi = Math.min(text.length, budget);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encoder.encode(text.slice(0, mid)).length <= budget) lo = mid;
    else hi = mid - 1;
  }
  const code = text.charCodeAt(lo - 1);
  if (code >= 0xd800 && code <= 0xdbff) lo -= 1;
  return text.slice(0, lo) + ellipsis;
}

/**
 * GitHub turns `@name` / `@org/team` into notifications and `#123`, `GH-123` into cross-references that
 * show up on the referenced issue. A zero-width space after `@`, `#` and `GH-` keeps the text readable and
 * inert. (Bare URLs stay visible as they are: GitHub shows their full text, so they cannot disguise a target.)
 */
function defangGitHubReferences(text: string): string {
  return (
    text
      // Like GitHub's mention filter: `@` after a letter or digit (user@host, pkg@1.0) is no mention. A
      // lookbehind, so each `@` of `@@org` is judged on its own (a consumed match would skip the second).
      // `_` is not trusted to protect: it is written as `&#95;`, so the `@` would follow `;` in the output.
      .replace(/(?<![A-Za-z0-9])@/g, `@${ZWSP}`)
      .replace(/#(?=\d)/g, `#${ZWSP}`)
      .replace(/\bGH-(?=\d)/gi, (m) => `${m}${ZWSP}`)
  );
}

/**
 * Untrusted text for a Markdown context (paragraph, list item, table cell, link text), as one line.
 * No raw HTML (`< > &` become entities), no Markdown syntax (emphasis, code, links, images, tables,
 * strikethrough, math), no block syntax at the start, no mentions or issue references; newlines become
 * `<br>` so a table cell or list item stays whole.
 */
export function escapeMarkdown(text: string): string {
  const safe = defangGitHubReferences(stripUnsafe(text).trim())
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]()!|~$]/g, '\\$&')
    // Block syntax only matters where a line starts: at the beginning (newlines are gone below).
    .replace(/^([#+=-]|\d+[.)])/, (m) => m.replace(/[#+=.)-]/, '\\$&'))
    .replace(/[ \t]*\n[ \t]*/g, '\n')
    .replace(/\n{3,}/g, '\n\n');
  return safe.replace(/\n/g, '<br>');
}

/**
 * Untrusted text inside raw HTML (a `<summary>`, an attribute): entities (Markdown punctuation included),
 * one line, and no mentions unless
 * `inCode` (GitHub does not look for mentions inside `<code>`, so the text is left copyable there).
 */
export function escapeHtml(text: string, inCode = false): string {
  const line = stripUnsafe(text).replace(/\s+/g, ' ').trim();
  return (
    (inCode ? line : defangGitHubReferences(line))
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
      // GitHub leaves Markdown inside a raw HTML line alone; numeric entities keep it so if that ever changes.
      .replace(/[[\]()!*_`~|$\\]/g, (c) => `&#${c.charCodeAt(0)};`)
  );
}

/**
 * Untrusted text as a fenced code block: nothing inside is interpreted (no HTML, links or mentions).
 * The fence is longer than any run of backticks in the text, so the text cannot close it.
 */
export function codeBlock(text: string, language = ''): string {
  const body = stripUnsafe(text).replace(/\n+$/, '');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language.replace(/[^\w+-]/g, '')}\n${body}\n${fence}`;
}

/**
 * A scanner-supplied link target, or undefined: only absolute http(s) URLs, percent-encoded so that the
 * URL cannot end a Markdown link early or break out of an HTML attribute.
 */
export function safeUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return url.href.replace(
    /[()'"<>\\ `]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** A repository-relative path as a URL path: each segment encoded, including `(`, `)`, `'`, `!` and `*`. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
      ),
    )
    .join('/');
}

// XML 1.0 allows tab, LF, CR and U+0020 upwards, minus surrogates (lone ones) and U+FFFE/U+FFFF.
const XML_INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

// Anything escapeXml would change: markup characters, controls, surrogates, U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const XML_SPECIAL = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Text for an XML element or attribute: invalid characters dropped, markup characters escaped. */
export function escapeXml(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Text for an XML attribute that must stay on one line (names, messages): whitespace collapsed. */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text.replace(XML_INVALID, '').replace(/\s+/g, ' ').trim());
}

/**
 * The baseline as the comment and JUnit show it: its file name, or its store key when it came from S3,
 * never the build machine's absolute path (`/codebuild/output/src123/...` tells readers nothing and leaks
 * the layout of the build host).
 */
export function baselineName(file: string): string {
  if (/^s3:\/\//.test(file)) return file;
  const parts = file.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? file;
}
