import { NormalizedSchema } from '@smithy/core/schema';

/*
 * The one check of a request a fake AWS service received against the service's API model (issue 14): the static
 * schemas the @aws-sdk clients themselves serialize with (exported as `<Shape>$`). A structure schema is
 * [3, namespace, name, traits, memberNames, memberSchemas, requiredCount]; the model lists the required members
 * first. The schemas carry members, types and required members, not length limits or patterns: each fake passes
 * the limits the API reference states (by `Shape.member`), and they are checked in the same walk.
 */

export type StaticSchema = Parameters<typeof NormalizedSchema.of>[0];

/** A constraint the API reference states for a member (length or value for numbers, pattern, enum). */
export interface MemberLimit {
  min?: number;
  max?: number;
  pattern?: RegExp;
  values?: string[];
}

/**
 * Every way `value` breaks the model shape `schema` or a limit, as `path: problem` (paths from the request's
 * top level, e.g. `variables[0].value: must be at least 1 long`); none when it conforms.
 */
/** The root schemas normalized, so that their shapes (shapeOf) are read once. */
const roots = new WeakMap<object, NormalizedSchema>();

export function modelViolations(
  schema: StaticSchema,
  value: unknown,
  limits: Record<string, MemberLimit> = {},
): string[] {
  const problems: string[] = [];
  const cacheable = typeof schema === 'object' || typeof schema === 'function';
  let root = cacheable ? roots.get(schema) : undefined;
  if (!root) {
    root = NormalizedSchema.of(schema);
    if (cacheable) roots.set(schema, root);
  }
  walk(root, value, '', undefined, limits, problems);
  return problems;
}

function checkLimit(path: string, limit: MemberLimit | undefined, value: unknown, problems: string[]): void {
  if (!limit) return;
  const size =
    typeof value === 'number'
      ? value
      : Array.isArray(value) || typeof value === 'string'
        ? value.length
        : undefined;
  const unit = typeof value === 'number' ? '' : ' long';
  if (size !== undefined && limit.min !== undefined && size < limit.min)
    problems.push(`${path}: must be at least ${limit.min}${unit}`);
  if (size !== undefined && limit.max !== undefined && size > limit.max)
    problems.push(`${path}: must be at most ${limit.max}${unit}`);
  if (typeof value === 'string' && limit.pattern && !limit.pattern.test(value))
    problems.push(`${path}: must satisfy the pattern ${limit.pattern.source}`);
  if (typeof value === 'string' && limit.values && !limit.values.includes(value))
    problems.push(`${path}: must be one of ${limit.values.join(', ')}`);
}

/** A model shape, read from its schema once: what walk() checks a value against. */
type Shape =
  | { kind: 'document' | 'string' | 'boolean' | 'number' | 'timestamp' | 'blob' | 'other' }
  | { kind: 'structure'; name: string; required: Set<string>; members: [string, NormalizedSchema][] }
  | { kind: 'list'; name: string; item: NormalizedSchema }
  | { kind: 'map'; value: NormalizedSchema };

/**
 * The shape of `ns`, normalized once per schema object: the fakes check every request, and normalizing the
 * members and item schemas anew for each value was most of a 10,000-finding import's time.
 */
const shapes = new WeakMap<NormalizedSchema, Shape>();
function shapeOf(ns: NormalizedSchema): Shape {
  let shape = shapes.get(ns);
  if (shape) return shape;
  if (ns.isDocumentSchema()) shape = { kind: 'document' };
  else if (ns.isStructSchema()) {
    const struct = ns.getSchema() as unknown as [
      number,
      string,
      string,
      unknown,
      string[],
      unknown[],
      number?,
    ];
    shape = {
      kind: 'structure',
      name: ns.getName() ?? 'structure',
      required: new Set(struct[4].slice(0, struct[6] ?? 0)),
      members: Object.entries(ns.getMemberSchemas()),
    };
  } else if (ns.isListSchema()) shape = { kind: 'list', name: ns.getName() ?? '', item: ns.getValueSchema() };
  else if (ns.isMapSchema()) shape = { kind: 'map', value: ns.getValueSchema() };
  else if (ns.isStringSchema()) shape = { kind: 'string' };
  else if (ns.isBooleanSchema()) shape = { kind: 'boolean' };
  else if (ns.isNumericSchema()) shape = { kind: 'number' };
  else if (ns.isTimestampSchema()) shape = { kind: 'timestamp' };
  else if (ns.isBlobSchema()) shape = { kind: 'blob' };
  else shape = { kind: 'other' };
  shapes.set(ns, shape);
  return shape;
}

function walk(
  ns: NormalizedSchema,
  value: unknown,
  path: string,
  limit: MemberLimit | undefined,
  limits: Record<string, MemberLimit>,
  problems: string[],
): void {
  checkLimit(path, limit, value, problems);
  const shape = shapeOf(ns);
  switch (shape.kind) {
    case 'structure': {
      const { name, required, members } = shape;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void problems.push(`${path || name}: must be a structure`);
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record))
        if (!members.some(([member]) => member === key) && record[key] !== undefined)
          problems.push(`${path ? `${path}.` : ''}${key}: is not a member of ${name}`);
      for (const [member, memberSchema] of members) {
        const at = path ? `${path}.${member}` : member;
        if (record[member] === undefined || record[member] === null) {
          if (required.has(member)) problems.push(`${at}: is required`);
          continue;
        }
        walk(memberSchema, record[member], at, limits[`${name}.${member}`], limits, problems);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return void problems.push(`${path}: must be a list`);
      const item = limits[`${shape.name}.member`];
      value.forEach((v, i) => walk(shape.item, v, `${path}[${i}]`, item, limits, problems));
      return;
    }
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void problems.push(`${path}: must be a map`);
      for (const [k, v] of Object.entries(value))
        walk(shape.value, v, `${path}.${k}`, undefined, limits, problems);
      return;
    case 'string':
      if (typeof value !== 'string') problems.push(`${path}: must be a string`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: must be a boolean`);
      return;
    case 'number':
      if (typeof value !== 'number') problems.push(`${path}: must be a number`);
      return;
    case 'timestamp':
      // On the JSON wire a timestamp is an ISO 8601 string or epoch seconds (the member's timestampFormat).
      if (typeof value !== 'string' && typeof value !== 'number')
        problems.push(`${path}: must be a timestamp`);
      return;
    case 'blob':
      if (typeof value !== 'string') problems.push(`${path}: must be base64 text`);
      return;
  }
}

/** The members of an operation's input sent as HTTP headers, by lower-case header name, and the prefix ones. */
export function headerMembers(schema: StaticSchema): { headers: Set<string>; prefixes: string[] } {
  const headers = new Set<string>();
  const prefixes: string[] = [];
  for (const member of Object.values(NormalizedSchema.of(schema).getMemberSchemas())) {
    const traits = member.getMergedTraits();
    if (typeof traits.httpHeader === 'string') headers.add(traits.httpHeader.toLowerCase());
    if (typeof traits.httpPrefixHeaders === 'string') prefixes.push(traits.httpPrefixHeaders.toLowerCase());
  }
  return { headers, prefixes };
}
