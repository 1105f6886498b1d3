/**
 * A small, strict XML 1.0 reader for tests: enough of the grammar for JUnit reports (declaration, elements,
 * attributes, text, the five entities and character references). It throws on anything not well-formed:
 * unbalanced or mismatched tags, raw `<` or `&` in text or attributes, unknown entities, duplicate
 * attributes, characters XML cannot hold, and more than one root.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || '_-.:'.includes(c);
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

export function parseXml(xml: string): XmlElement {
  for (const ch of xml) {
    const code = ch.codePointAt(0)!;
    if (!isXmlChar(code)) throw new Error(`character U+${code.toString(16)} is not allowed in XML`);
  }
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const skipSpace = () => {
    while (i < xml.length && ' \t\r\n'.includes(xml[i]!)) i++;
  };
  const name = () => {
    const start = i;
    while (i < xml.length && isNameChar(xml[i]!)) i++;
    if (i === start) fail('a name expected');
    return xml.slice(start, i);
  };
  /** Character data up to `stop`, with entities resolved; `<` never allowed inside. */
  const chars = (stop: string) => {
    let out = '';
    let from = i;
    while (i < xml.length && xml[i] !== stop) {
      const c = xml[i]!;
      if (c === '<') fail('raw < in character data');
      if (c !== '&') {
        i++;
        continue;
      }
      out += xml.slice(from, i);
      const end = xml.indexOf(';', i);
      if (end < 0 || end - i > 10) fail('unterminated entity');
      const ref = xml.slice(i + 1, end);
      if (ref.startsWith('#x')) out += String.fromCodePoint(parseInt(ref.slice(2), 16));
      else if (ref.startsWith('#')) out += String.fromCodePoint(parseInt(ref.slice(1), 10));
      else if (ENTITIES[ref] !== undefined) out += ENTITIES[ref];
      else fail(`unknown entity &${ref};`);
      i = end + 1;
      from = i;
    }
    return out + xml.slice(from, i);
  };

  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  skipSpace();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const text = chars('<');
      if (stack.length) stack[stack.length - 1]!.text += text;
      else if (text.trim()) fail('text outside the root');
      continue;
    }
    if (xml.startsWith('</', i)) {
      i += 2;
      const closing = name();
      skipSpace();
      if (xml[i] !== '>') fail('> expected');
      i++;
      const open = stack.pop();
      if (!open || open.name !== closing) fail(`</${closing}> does not close <${open?.name ?? ''}>`);
      continue;
    }
    i++;
    const el: XmlElement = { name: name(), attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', i) || xml[i] === '>') break;
      const key = name();
      if (key in el.attributes) fail(`duplicate attribute ${key}`);
      skipSpace();
      if (xml[i] !== '=') fail('= expected');
      i++;
      skipSpace();
      const quote = xml[i];
      if (quote !== '"' && quote !== "'") fail('quoted value expected');
      i++;
      el.attributes[key] = chars(quote!);
      if (xml[i] !== quote) fail('unterminated attribute');
      i++;
    }
    if (stack.length) stack[stack.length - 1]!.children.push(el);
    else if (root) fail('a second root element');
    else root = el;
    if (xml.startsWith('/>', i)) i += 2;
    else {
      i++;
      stack.push(el);
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
