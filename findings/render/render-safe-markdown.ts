import { codeBlock, escapeHtml, escapeMarkdown, safeUrl, stripUnsafe } from './escape-text.js';

/**
 * Scanner Markdown (Snyk and Inspector descriptions use headings, lists, emphasis, code and links) as a
 * SAFE subset for the PR comment: headings become bold lines, lists stay lists, emphasis and code stay,
 * links stay only when they are absolute http(s); everything else is escaped text (escapeMarkdown: no
 * raw HTML, no `</details>`, no images, no mentions or issue references). The output is built from
 * escaped pieces only, so no input can produce markup other than this subset.
 */
export function renderSafeMarkdown(text: string): string {
  const lines = stripUnsafe(text).split('\n');
  const blocks: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push(paragraph.join('<br>'));
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([A-Za-z0-9_+-]{0,20})/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!); i++) code.push(lines[i]!);
      // A fence longer than any backtick run inside: nothing in it is interpreted, `</details>` included.
      blocks.push(codeBlock(code.join('\n'), fence[2]));
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      if (heading[1]) blocks.push(`**${renderInline(heading[1])}**`);
      continue;
    }
    const item = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const depth = Math.min(Math.floor(item[1]!.replace(/\t/g, '  ').length / 2), 3);
      const marker = /\d/.test(item[2]!) ? `${item[2]!.slice(0, -1)}.` : '-';
      const previous = blocks.at(-1);
      const entry = `${'  '.repeat(depth)}${marker} ${renderInline(item[3]!)}`;
      // Consecutive items form one list.
      if (previous !== undefined && /^\s*(-|\d+\.) /.test(previous.split('\n').at(-1)!))
        blocks[blocks.length - 1] = `${previous}\n${entry}`;
      else blocks.push(entry);
      continue;
    }
    paragraph.push(renderInline(line));
  }
  flush();
  return blocks.join('\n\n');
}

/** `code`, [text](http…), **strong**, *emphasis* / _emphasis_; images and every other character escaped. */
function renderInline(text: string): string {
  const token =
    /`([^`]+)`|!\[[^\]]{0,500}\]\([^()]{0,2000}\)|\[([^\]]{1,500})\]\(\s*((?:[^()\s]|\([^()\s]{0,200}\)){1,2000})\s*\)|\*\*([^*]{1,1000})\*\*|__([^_]{1,1000})__|\*([^*\s][^*]{0,1000})\*|\b_([^_\s][^_]{0,1000})_\b/g;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(token)) {
    out += escapeText(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [, code, label, url, strong1, strong2, em1, em2] = m;
    if (m[0].startsWith('!['))
      out += escapeMarkdown(m[0]); // an image: a tracking pixel at best, shown as text
    else if (code !== undefined) out += `<code>${escapeHtml(code, true)}</code>`;
    else if (label !== undefined) {
      const href = safeUrl(url);
      out += href ? `[${escapeMarkdown(label)}](${href})` : escapeMarkdown(m[0]);
    } else if ((strong1 ?? strong2) !== undefined) out += `**${escapeMarkdown((strong1 ?? strong2)!)}**`;
    else out += `_${escapeMarkdown((em1 ?? em2)!)}_`;
  }
  return out + escapeText(text.slice(last));
}

/** escapeMarkdown for the text between two inline tokens: the spaces around it are kept. */
function escapeText(text: string): string {
  if (!text.trim()) return text ? ' ' : '';
  return `${/^\s/.test(text) ? ' ' : ''}${escapeMarkdown(text)}${/\s$/.test(text) ? ' ' : ''}`;
}
