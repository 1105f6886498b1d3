import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { PipewardenError } from '../errors.js';
import type { FindingsDocument } from '../model/finding.js';
// A JSON import, so ncc bundles the committed schema into the CLI and the bot (no file to ship beside them).
import schema from './findings-document.schema.json' with { type: 'json' };

// ajv-formats is CommonJS: depending on the loader its default import is the plugin or the module object.
const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule.default }).default ??
  addFormatsModule.default;

let compiled: ValidateFunction<FindingsDocument> | undefined;

/** The one validator of findings documents, compiled once from the committed schema. */
function validator(): ValidateFunction<FindingsDocument> {
  if (!compiled) {
    // allErrors off: the first failing path is all a message shows, and a hostile document cannot make it slow.
    const ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(ajv);
    compiled = ajv.compile<FindingsDocument>(schema);
  }
  return compiled;
}

/** `/findings/0/title` → `findings[0].title`, the way the other messages name fields. */
function fieldPath(pointer: string): string {
  if (!pointer) return '(the document)';
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

function describe(error: ErrorObject): string {
  const path = fieldPath(error.instancePath);
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
  const detail =
    error.keyword === 'additionalProperties'
      ? `has an unknown property ${JSON.stringify(params.additionalProperty)}`
      : error.keyword === 'enum'
        ? `must be one of ${(params.allowedValues ?? []).join(', ')}`
        : (error.message ?? 'is invalid');
  // JSON.stringify keeps scanner text (newlines, control bytes) on one line.
  // eslint-disable-next-line no-control-regex -- control bytes are exactly what must not reach the terminal
  return `${path} ${detail}`.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** Why `json` is not a valid findings document (the first failing path), or undefined when it is one. */
export function findingsDocumentProblem(json: unknown): string | undefined {
  const validate = validator();
  if (validate(json)) return undefined;
  // Another version is a clearer message than the first field that differs.
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof json === 'object' && json !== null && version !== '1.0')
    return `schemaVersion ${JSON.stringify(version) ?? '(missing)'} is not supported (expected "1.0")`;
  return describe(validate.errors![0]!);
}

export function isValidFindingsDocument(json: unknown): json is FindingsDocument {
  return validator()(json);
}

/** Does the JSON say it is a findings document (then it must be a valid one, never read as a scanner report)? */
export function claimsToBeFindingsDocument(json: unknown): boolean {
  return (
    typeof json === 'object' &&
    json !== null &&
    !Array.isArray(json) &&
    (('schemaVersion' in json && 'findings' in json) ||
      (json as { generator?: { name?: unknown } }).generator?.name === 'pipewarden')
  );
}

/**
 * Returns the document when it matches findings-document.schema.json, else throws a one-line error naming
 * `label` (the file, flag or S3 object) and the first failing path.
 */
export function assertFindingsDocument(json: unknown, label: string, fix?: string): FindingsDocument {
  const problem = findingsDocumentProblem(json);
  if (problem)
    throw new PipewardenError(
      `${label}: not a valid pipewarden findings document: ${problem}; ${fix ?? 'regenerate it with `pipewarden report --format json`'}`,
    );
  return json as FindingsDocument;
}
