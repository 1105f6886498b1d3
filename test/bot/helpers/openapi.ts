import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

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

function load(): Operation[] {
  if (operations) return operations;
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  (addFormatsPlugin as unknown as (a: Ajv) => void)(ajv);
  const compile = (schema: unknown) => ajv.compile(toJsonSchema(resolve(spec, schema)) as object);
  operations = [];
  for (const [template, item] of Object.entries(spec.paths as Record<string, Json>)) {
    const names: string[] = [];
    const pattern = template
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        // `{path}` of the contents API holds slashes; every other parameter is one segment.
        return name === 'path' ? '(.+)' : '([^/]+)';
      });
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      const op = raw as Json;
      const query = new Map<string, ValidateFunction>();
      const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])];
      const lazy = (schema: unknown) => {
        let fn: ValidateFunction | undefined;
        const validate = ((data: unknown) => (fn ??= compile(schema))(data)) as ValidateFunction;
        Object.defineProperty(validate, 'errors', { get: () => fn?.errors });
        return validate;
      };
      for (const p of params.map((p) => resolve(spec, p) as Json))
        if (p.in === 'query') query.set(p.name as string, lazy(p.schema ?? {}));
      const bodySchema = (
        (resolve(spec, op.requestBody) as Json | undefined)?.content as Record<string, Json> | undefined
      )?.['application/json']?.schema;
      operations.push({
        template,
        method: method.toUpperCase(),
        regex: new RegExp(`^${pattern}$`),
        names,
        query,
        ...(bodySchema ? { body: lazy(bodySchema) } : {}),
      });
    }
  }
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
