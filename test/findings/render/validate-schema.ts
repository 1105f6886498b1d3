import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fixture } from '../helpers.js';

// ajv-formats is CommonJS: depending on the loader its default import is the plugin or the module object.
const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule.default }).default ??
  addFormatsModule.default;

/** A validator for a JSON Schema (draft-07), with `format`s (uri, date-time…) checked. */
export function schemaValidator(schema: object): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/**
 * The official SARIF 2.1.0 schema (OASIS, errata 01, in test/fixtures/schemas). It declares draft-04, which
 * ajv 8 does not load; the keywords it uses mean the same in draft-07 (only local `$ref`s, no boolean
 * `exclusiveMinimum`), so it is compiled as draft-07 once its `$schema` and draft-04 `id` are set aside.
 */
export function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(fixture('schemas/sarif-schema-2.1.0.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const { $schema: _draft, id: _id, ...draft07 } = schema;
  return schemaValidator(draft07);
}

/** The first few errors, readable in a failed expectation. */
export function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).slice(0, 10).map((e: ErrorObject) => `${e.instancePath} ${e.message ?? ''}`);
}
