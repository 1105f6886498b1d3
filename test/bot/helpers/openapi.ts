import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { buildOnce } from '../../support/build-once.js';
import { testCacheDir } from '../../support/repo.js';

/**
 * Every request the bot sends to GitHub is checked against GitHub's published OpenAPI description
 * (@octokit/openapi, api.github.com): the method and path must match an operation, query parameters must
 * be ones it declares (with valid values), and a JSON body must validate against its requestBody schema.
 */

type Json = Record<string, unknown>;
interface Operation {
  template: string;
  method: string;
  regex: RegExp;
  names: string[];
  query: Map<string, ValidateFunction>;
  body?: ValidateFunction;
}

const require = createRequire(import.meta.url);
let operations: Operation[] | undefined;

function resolve(spec: Json, value: unknown, seen = new Set<string>()): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(spec, v, seen));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Json;
  if (typeof obj.$ref === 'string') {
    const ref = obj.$ref;
    if (seen.has(ref)) return {}; // recursive schema: accept anything below this point
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Json)[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
    return resolve(spec, target, new Set([...seen, ref]));
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) out[k] = resolve(spec, v, seen);
  return out;
}

/** OpenAPI 3.0 → JSON Schema: `nullable` becomes a null type. */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (!value || typeof value !== 'object') return value;
  const obj = { ...(value as Json) };
  for (const [k, v] of Object.entries(obj)) obj[k] = toJsonSchema(v);
  if (obj.nullable === true) {
    delete obj.nullable;
    return { anyOf: [obj, { type: 'null' }] };
  }
  return obj;
}

/**
 * The parts of the description a request check reads: each operation's query parameters and JSON body schema,
 * `$ref`s resolved (as the check compiled them before).
 */
interface Digest {
  operations: { template: string; method: string; query: Record<string, unknown>; body?: unknown }[];
}

function digest(spec: Json): Digest {
  const operations: Digest['operations'] = [];
  for (const [template, item] of Object.entries(spec.paths as Record<string, Json>)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      const op = raw as Json;
      const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])];
      const query: Record<string, unknown> = {};
      for (const p of params.map((p) => resolve(spec, p) as Json))
        if (p.in === 'query') query[p.name as string] = p.schema ?? {};
      const body = (
        (resolve(spec, op.requestBody) as Json | undefined)?.content as Record<string, Json> | undefined
      )?.['application/json']?.schema;
      operations.push({ template, method: method.toUpperCase(), query, ...(body ? { body } : {}) });
    }
  }
  return { operations };
}

/**
 * The digest of @octokit/openapi's api.github.com description, made once per version of the description and of
 * this file and kept in the test cache: the description is 13 MB of JSON (~0.2 s of CPU to parse in each test
 * file that checks requests), the digest about a tenth. Nothing a check reads is left out (digest above).
 */
function cachedDigest(): Digest {
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const { version } = require('@octokit/openapi/package.json') as { version: string };
  const key = createHash('sha256')
    .update(version)
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex')
    .slice(0, 16);
  const directory = join(testCacheDir(), `pipewarden-openapi-${key}`);
  if (!existsSync(directory))
    buildOnce(directory, (into) =>
      writeFileSync(
        join(into, 'digest.json'),
        JSON.stringify(digest(JSON.parse(readFileSync(file, 'utf8')) as Json)),
      ),
    );
  return JSON.parse(readFileSync(join(directory, 'digest.json'), 'utf8')) as Digest;
}

function load(): Operation[] {
  if (operations) return operations;
  const { operations: described } = cachedDigest();
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (addFormatsPlugin as unknown as (a: Ajv) => void)(ajv);
  const compile = (schema: unknown) => ajv.compile(toJsonSchema(schema) as object);
  const lazy = (schema: unknown) => {
    let fn: ValidateFunction | undefined;
    const validate = ((data: unknown) => (fn ??= compile(schema))(data)) as ValidateFunction;
    Object.defineProperty(validate, 'errors', { get: () => fn?.errors });
    return validate;
  };
  operations = described.map(({ template, method, query, body }) => {
    const names: string[] = [];
    const pattern = template
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        // `{path}` of the contents API holds slashes; every other parameter is one segment.
        return name === 'path' ? '(.+)' : '([^/]+)';
      });
    return {
      template,
      method,
      regex: new RegExp(`^${pattern}$`),
      names,
      query: new Map(Object.entries(query).map(([name, schema]) => [name, lazy(schema)])),
      ...(body ? { body: lazy(body) } : {}),
    };
  });
  return operations;
}

/** Coerces a query-string value to what the parameter's schema expects (integers, booleans). */
function coerce(value: string): unknown {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

export interface Violation {
  request: string;
  problem: string;
}

/** Problems with one request, or an empty list; also returns the operation's path template. */
export function checkAgainstOpenApi(
  method: string,
  url: URL,
  body: unknown,
): { template?: string; problems: string[] } {
  const path = url.pathname;
  const candidates = load().filter((op) => op.regex.test(path));
  // The most specific template wins (`/issues/comments/{id}` over `/issues/{issue_number}/comments`).
  candidates.sort((a, b) => a.names.length - b.names.length);
  const op = candidates.find((c) => c.method === method.toUpperCase());
  if (!op)
    return {
      problems: [
        candidates.length
          ? `${method} is not an operation of ${candidates[0]!.template}`
          : `no operation matches ${path}`,
      ],
    };
  const problems: string[] = [];
  for (const [name, value] of url.searchParams) {
    const validate = op.query.get(name);
    if (!validate) problems.push(`query parameter "${name}" is not declared by ${method} ${op.template}`);
    else if (!validate(coerce(value)) && !validate(value))
      problems.push(`query parameter ${name}=${value}: ${JSON.stringify(validate.errors)}`);
  }
  if (body !== undefined && body !== '' && op.body && !op.body(body))
    problems.push(
      `body does not match ${method} ${op.template}: ${JSON.stringify(op.body.errors?.slice(0, 3))}`,
    );
  return { template: op.template, problems };
}
