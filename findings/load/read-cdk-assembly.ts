import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CdkAssemblyFiles } from '../parse/locate-in-cdk-assembly.js';
import { isObject } from '../parse/read-report-fields.js';

/**
 * The cloud assembly in `dir` (a cdk-nag v2 report's folder): its construct metadata, located through
 * `manifest.json` (or every `*.metadata.json` without one), and its stack templates. Anything missing or
 * unreadable is left out: the findings then carry no location, never an error.
 */
export function readCdkAssembly(dir: string): CdkAssemblyFiles {
  let listing: string[] | undefined;
  const list = () => (listing ??= listDir(dir));
  const metadata: unknown[] = [];
  const manifest = readJson(join(dir, 'manifest.json'));
  const files = new Set<string>();
  if (isObject(manifest) && isObject(manifest.artifacts))
    for (const artifact of Object.values(manifest.artifacts)) {
      if (!isObject(artifact)) continue;
      metadata.push(artifact.metadata); // older aws-cdk-lib kept the metadata in the manifest itself
      if (typeof artifact.additionalMetadataFile === 'string') files.add(artifact.additionalMetadataFile);
    }
  else for (const f of list()) if (f.endsWith('.metadata.json')) files.add(f);
  for (const f of files) metadata.push(readJson(join(dir, f)));
  const templates = list()
    .filter((f) => f.endsWith('.template.json'))
    .flatMap((f) => {
      const file = join(dir, f);
      const text = readText(file);
      return text === undefined ? [] : [{ file, text }];
    });
  return { metadata, templates };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readText(file: string): string | undefined {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function readJson(file: string): unknown {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
