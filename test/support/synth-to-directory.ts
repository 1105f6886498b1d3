// Run by synth-cache.ts in a child process (tsx): synthesizes named configurations the way the infra tests do
// (test/infra/synth.ts and variants.ts; checks on but for the variants the others' checks cover), one after
// the other in this one process (tsx, aws-cdk-lib and the rule packs load once), each into its building
// directory with stacks.json (the app's stacks as addPipewardenStacks returned them, each stack by its
// names), renamed to its final directory as soon as it is complete.
import { cpSync, renameSync, writeFileSync } from 'node:fs';
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
import { VARIANTS } from '../infra/variants.js';

const configs = {
  example: exampleConfig,
  full: fullConfig,
  organisation: organisationConfig,
  central: centralHubConfig,
  ...VARIANTS,
};
/** Variants whose rule packs would repeat the checks of the app they vary (example, full, organisation). */
const unchecked = new Set(['central', ...Object.keys(VARIANTS)]);
const args = process.argv.slice(2);
if (args.length === 0 || args.length % 3 !== 0 || !args.every((a, i) => i % 3 !== 0 || a in configs))
  throw new Error(
    `pipewarden test: synth-to-directory (<${Object.keys(configs).join('|')}> <building dir> <final dir>)...`,
  );

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

for (let i = 0; i < args.length; i += 3) {
  const [name, building, final] = args.slice(i, i + 3) as [keyof typeof configs, string, string];
  const app = synthesize(configs[name](), { checks: !unchecked.has(name) });
  cpSync(app.assembly.directory, building, { recursive: true });
  writeFileSync(join(building, 'stacks.json'), JSON.stringify(byName(app.stacks)));
  renameSync(building, final);
}
