import { readFile } from 'node:fs/promises';
import { PipewardenError } from '../errors.js';

/** Reads a JSON file; a syntax error names the file, line and column (JSON.parse only gives a position). */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new PipewardenError(
      `${file}: cannot read the report (${why}); check the path, or that the scan step wrote it`,
      {
        cause: error,
      },
    );
  }
  return parseJsonText(text, file);
}

export function parseJsonText(text: string, file: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '')
    throw new PipewardenError(
      `${file}: the file is empty, not a report; the scanner probably failed: check its log and re-run it`,
    );
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const m = /position (\d+)/.exec(message);
    const pos = m ? Number(m[1]) : text.length;
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    const what = message
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    throw new PipewardenError(
      `${file}: not valid JSON at line ${line}, column ${column} (${what}); the report is truncated or was not written by the scanner's JSON/SARIF option`,
    );
  }
}
