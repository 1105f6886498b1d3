import type { Finding, FindingsDocument } from '../model/finding.js';

const CHUNK = 1 << 20;

function* arrayChunks(items: Finding[], indent: string): Generator<string> {
  if (items.length === 0) {
    yield '[]';
    return;
  }
  let buf = '[\n';
  for (let i = 0; i < items.length; i++) {
    buf += indent + JSON.stringify(items[i]) + (i + 1 < items.length ? ',\n' : '\n');
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  yield buf + indent.slice(2) + ']';
}

/**
 * The findings document as JSON, streamed: the envelope is indented for people, each finding is one line.
 * A 100,000-finding document never becomes one giant string (memory stays near the findings themselves).
 */
export function* renderJsonChunks(doc: FindingsDocument): Generator<string> {
  const F = '\u0000findings\u0000';
  const X = '\u0000fixed\u0000';
  const envelope = JSON.stringify({ ...doc, findings: F, fixed: X }, null, 2);
  const [beforeFindings, rest] = envelope.split(JSON.stringify(F));
  const [between, after] = rest!.split(JSON.stringify(X));
  yield beforeFindings!;
  yield* arrayChunks(doc.findings, '    ');
  yield between!;
  yield* arrayChunks(doc.fixed, '    ');
  yield after! + '\n';
}
