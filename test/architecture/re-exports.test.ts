import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A module of the engine re-exports a name only when runtime code imports it through that module: a
 * re-export kept for tests hides which module really defines the name (tests import the real module).
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNTIME = ['findings', 'pipeline', 'bot', 'action', 'infra', 'scripts'];
const CHECKED = ['findings', 'pipeline'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** `import { a, type B } from './x.js'` / `export { a } from …`: the names and the module they come from. */
function namedBindings(file: string, text: string, keyword: 'import' | 'export') {
  const found: { names: string[]; from: string }[] = [];
  const re = new RegExp(`^${keyword}\\s+(?:type\\s+)?\\{([^}]*)\\}\\s+from\\s+'(\\.[^']+)'`, 'gm');
  for (const m of text.matchAll(re))
    found.push({
      names: m[1]!
        .split(',')
        .map((n) =>
          n
            .replace(/^\s*type\s+/, '')
            .split(/\s+as\s+/)[0]!
            .trim(),
        )
        .filter(Boolean),
      from: resolve(root, dirname(file), m[2]!.replace(/\.js$/, '.ts')),
    });
  return found;
}

const runtimeFiles = RUNTIME.flatMap(sources);
const importedThrough = new Set<string>();
for (const file of runtimeFiles)
  for (const { names, from } of namedBindings(file, readFileSync(join(root, file), 'utf8'), 'import'))
    for (const name of names) importedThrough.add(`${relative(root, from)}#${name}`);

describe('re-exports in findings/ and pipeline/', () => {
  it('every re-exported name is imported through that module by runtime code, not only by tests', () => {
    const unused: string[] = [];
    for (const file of CHECKED.flatMap(sources))
      for (const { names } of namedBindings(file, readFileSync(join(root, file), 'utf8'), 'export'))
        for (const name of names)
          if (!importedThrough.has(`${file}#${name}`)) unused.push(`${file}: ${name}`);
    expect(unused).toEqual([]);
  });
});
