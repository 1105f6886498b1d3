// `npm run schemas`: JSON Schemas for editors, generated from the zod schemas that validate the same files
// (z.toJSONSchema), so completion and red squiggles in an editor agree with what pipewarden accepts:
//   schemas/pipewarden.yml.schema.json     .github/pipewarden.yml   (findings/config/repo-config.ts)
//   schemas/pipewarden.config.schema.json  pipewarden.config.json   (infra/config/schema.ts)
// test/schemas.test.ts regenerates them in memory and fails when the committed files differ.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import { repoConfigSchema } from '../findings/config/repo-config.js';
import { configSchema } from '../infra/config/schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The files this script writes, relative to the repository root. */
export const SCHEMA_FILES = {
  repoConfig: 'schemas/pipewarden.yml.schema.json',
  infraConfig: 'schemas/pipewarden.config.schema.json',
} as const;

type Override = Parameters<typeof z.toJSONSchema>[1] extends infer O
  ? O extends { override?: infer F }
    ? F
    : never
  : never;

/**
 * What JSON Schema cannot say by itself: a date written in YAML (the zod schema also takes a Date, which
 * YAML never produces) is a `YYYY-MM-DD` string, and a severity is matched case-insensitively, so both
 * spellings editors are likely to see are offered.
 */
const override: Override = (ctx) => {
  type Def = {
    type: string;
    in?: Node;
    out?: Node;
    entries?: Record<string, string>;
    defaultValue?: unknown;
  };
  type Node = { _zod: { def: Def } };
  const def = ctx.zodSchema._zod.def as Def;
  const json = ctx.jsonSchema as Record<string, unknown>;
  if (def.type === 'date') {
    for (const key of Object.keys(json)) delete json[key];
    Object.assign(json, { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
  }
  // string → transform(toUpperCase) → enum: the input is a string, any case, of the enum's values.
  let input = def.in;
  while (input?._zod.def.type === 'pipe') input = input._zod.def.in;
  if (def.type === 'pipe' && input?._zod.def.type === 'string' && def.out?._zod.def.type === 'enum') {
    const values = Object.values(def.out._zod.def.entries ?? {});
    Object.assign(json, { enum: [...values.map((v) => v.toLowerCase()), ...values] });
  }
  // zod leaves out the default of a transformed value; the value written in the file is what it means.
  if (def.type === 'default' && !('default' in json)) json.default = def.defaultValue;
};

function toJsonSchema(schema: z.ZodType, id: string, title: string, description: string): object {
  const generated = z.toJSONSchema(schema, {
    target: 'draft-7', // the draft yaml-language-server and most editors implement fully
    io: 'input', // what a user writes: every key with a default is optional
    unrepresentable: 'any',
    override,
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: id, title, description, ...rest };
}

/** The schema files' text, keyed by path: exactly what `npm run schemas` writes. */
export async function generateSchemas(): Promise<Record<string, string>> {
  const documents: Record<string, object> = {
    [SCHEMA_FILES.repoConfig]: toJsonSchema(
      repoConfigSchema,
      'pipewarden.yml.schema.json',
      '.github/pipewarden.yml',
      "pipewarden's settings in a scanned repository: the gate, suppressions, the PR comment, annotations, approvals and the pipeline the bot starts. Generated from findings/config/repo-config.ts by npm run schemas; do not edit.",
    ),
    [SCHEMA_FILES.infraConfig]: toJsonSchema(
      configSchema,
      'pipewarden.config.schema.json',
      'pipewarden.config.json',
      "The deployment's configuration read by the CDK app (npm run synth). Generated from infra/config/schema.ts by npm run schemas; do not edit. Some cross-field rules (CIDRs inside the VPC, timeouts) are checked only by the CDK app.",
    ),
  };
  const out: Record<string, string> = {};
  for (const [file, document] of Object.entries(documents)) {
    const options = (await resolveConfig(join(root, file))) ?? {};
    out[file] = await format(JSON.stringify(document), { ...options, parser: 'json' });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const [file, text] of Object.entries(await generateSchemas())) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
    console.log(`wrote ${file}`);
  }
}
