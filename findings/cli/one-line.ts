/**
 * Text from a report or a file name, safe on one terminal line: control bytes (a newline in a file name,
 * an escape sequence in a scanner's title) are shown as JSON escapes, never written raw.
 */
export function oneLine(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out +=
      code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) ? JSON.stringify(ch).slice(1, -1) : ch;
  }
  return out;
}

/** A file name for a message: as given when it is plain, JSON-quoted when it holds control bytes. */
export function shownFile(file: string): string {
  return oneLine(file) === file ? file : JSON.stringify(file);
}

/** At most `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
