// Run by synth-cache.ts in a child process (tsx): synthesizes one named configuration the way the infra
// tests do (test/infra/synth.ts; checks on but for the variants the others' checks cover), copies its cloud assembly to the directory given, and writes
// stacks.json: the app's stacks as addPipewardenStacks returned them, each stack by its names.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  centralHubConfig,
  exampleConfig,
  fullConfig,
  organisationConfig,
  synthesize,
} from '../infra/synth.js';

const [name, outdir] = process.argv.slice(2);
const configs = {
  example: exampleConfig,
  full: fullConfig,
  organisation: organisationConfig,
  central: centralHubConfig,
};
/** Variants whose rule packs would repeat the checks of the app they vary (the example). */
const unchecked = new Set(['central']);
if (!outdir || !(name && name in configs))
  throw new Error(`pipewarden test: synth-to-directory <${Object.keys(configs).join('|')}> <outdir>`);
const app = synthesize(configs[name as keyof typeof configs](), { checks: !unchecked.has(name) });
cpSync(app.assembly.directory, outdir, { recursive: true });
// The logical id of each resource a stack exposes (storage.findingsBucket), as its template names it.
const logicalIds = (stack: Stack) =>
  Object.fromEntries(
    Object.entries(stack).flatMap(([key, value]) => {
      if (!Construct.isConstruct(value)) return [];
      const element = CfnElement.isCfnElement(value) ? value : value.node.defaultChild;
      return element && CfnElement.isCfnElement(element) && Stack.of(element) === stack
        ? [[key, stack.getLogicalId(element)]]
        : [];
    }),
  );
// A stack becomes the names tests look it up by; plain data (a repository's owner and name) stays.
const byName = (value: unknown): unknown =>
  value instanceof Stack
    ? { stackName: value.stackName, artifactId: value.artifactId, logicalIds: logicalIds(value) }
    : Array.isArray(value)
      ? value.map(byName)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, byName(v)]))
        : value;
writeFileSync(join(outdir, 'stacks.json'), JSON.stringify(byName(app.stacks)));
