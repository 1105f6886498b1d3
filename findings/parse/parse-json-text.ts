import { PipewardenError } from '../errors.js';

/** A report's JSON text → its value; a syntax error names the file, line and column. */
export function parseJsonText(text: string, file: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '')
    throw new PipewardenError(
      `${file}: the file is empty, not a report; the scanner probably failed: check its log and re-run it`,
    );
  try {
    return JSON.parse(text);
  } catch {
    const { offset, what } = locateJsonError(text);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new PipewardenError(
      `${file}: not valid JSON at line ${line}, column ${column} (${what}); the report is truncated or was not written by the scanner's JSON/SARIF option`,
    );
  }
}

/**
 * Where a JSON text first goes wrong. V8's messages do not always carry a position, so on the error
 * path only, a small validating scan finds it.
 */
function locateJsonError(text: string): { offset: number; what: string } {
  let i = 0;
  class Stop {
    constructor(readonly what: string) {}
  }
  const fail = (what?: string): never => {
    throw new Stop(
      what ?? (i >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[i])}`),
    );
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('control character in a string');
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || !m[0]) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') fail("expected ':' after a property name");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return { offset: i, what: 'invalid JSON' };
  } catch (e) {
    if (e instanceof Stop) return { offset: i, what: e.what };
    throw e;
  }
}
