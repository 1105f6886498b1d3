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
export function modelViolations(
  schema: StaticSchema,
  value: unknown,
  limits: Record<string, MemberLimit> = {},
): string[] {
  const problems: string[] = [];
  walk(NormalizedSchema.of(schema), value, '', undefined, limits, problems);
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

function walk(
  ns: NormalizedSchema,
  value: unknown,
  path: string,
  limit: MemberLimit | undefined,
  limits: Record<string, MemberLimit>,
  problems: string[],
): void {
  checkLimit(path, limit, value, problems);
  if (ns.isDocumentSchema()) return;
  if (ns.isStructSchema()) {
    const name = ns.getName() ?? 'structure';
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return void problems.push(`${path || name}: must be a structure`);
    const record = value as Record<string, unknown>;
    const struct = ns.getSchema() as unknown as [
      number,
      string,
      string,
      unknown,
      string[],
      unknown[],
      number?,
    ];
    const required = new Set(struct[4].slice(0, struct[6] ?? 0));
    const members = ns.getMemberSchemas();
    for (const key of Object.keys(record))
      if (!(key in members) && record[key] !== undefined)
        problems.push(`${path ? `${path}.` : ''}${key}: is not a member of ${name}`);
    for (const [member, memberSchema] of Object.entries(members)) {
      const at = path ? `${path}.${member}` : member;
      if (record[member] === undefined || record[member] === null) {
        if (required.has(member)) problems.push(`${at}: is required`);
        continue;
      }
      walk(memberSchema, record[member], at, limits[`${name}.${member}`], limits, problems);
    }
    return;
  }
  if (ns.isListSchema()) {
    if (!Array.isArray(value)) return void problems.push(`${path}: must be a list`);
    const item = limits[`${ns.getName() ?? ''}.member`];
    value.forEach((v, i) => walk(ns.getValueSchema(), v, `${path}[${i}]`, item, limits, problems));
    return;
  }
  if (ns.isMapSchema()) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return void problems.push(`${path}: must be a map`);
    for (const [k, v] of Object.entries(value))
      walk(ns.getValueSchema(), v, `${path}.${k}`, undefined, limits, problems);
    return;
  }
  if (ns.isStringSchema()) {
    if (typeof value !== 'string') problems.push(`${path}: must be a string`);
  } else if (ns.isBooleanSchema()) {
    if (typeof value !== 'boolean') problems.push(`${path}: must be a boolean`);
  } else if (ns.isNumericSchema()) {
    if (typeof value !== 'number') problems.push(`${path}: must be a number`);
  } else if (ns.isTimestampSchema()) {
    // On the JSON wire a timestamp is an ISO 8601 string or epoch seconds (the member's timestampFormat).
    if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${path}: must be a timestamp`);
  } else if (ns.isBlobSchema() && typeof value !== 'string') problems.push(`${path}: must be base64 text`);
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
