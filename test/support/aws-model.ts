import { NormalizedSchema } from '@smithy/core/schema';

/*
 * Checks a request a fake AWS service received against the service's API model: the static schemas the
 * @aws-sdk clients themselves serialize with (exported as `<Shape>$`). A structure schema is
 * [3, namespace, name, traits, memberNames, memberSchemas, requiredCount]; the model lists the required
 * members first. The schemas carry members, types and required members, not length limits: the fakes
 * add the limits the code relies on, from the API reference, beside this check.
 */

type StaticSchema = Parameters<typeof NormalizedSchema.of>[0];

/** Every way `value` breaks the model shape `schema`, as `path: problem`; none when it conforms. */
export function modelViolations(schema: StaticSchema, value: unknown, path = '(request)'): string[] {
  return check(NormalizedSchema.of(schema), value, path);
}

function check(ns: NormalizedSchema, value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (ns.isDocumentSchema()) return [];
  if (ns.isStructSchema()) {
    if (typeof value !== 'object' || Array.isArray(value))
      return [`${path}: ${ns.getName()} must be an object`];
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
    const members = ns.getMemberSchemas();
    const errors: string[] = [];
    for (const name of struct[4].slice(0, struct[6] ?? 0))
      if (record[name] === undefined || record[name] === null)
        errors.push(`${path}.${name}: required by ${ns.getName()}`);
    for (const [name, member] of Object.entries(record)) {
      const memberSchema = members[name];
      if (!memberSchema) errors.push(`${path}.${name}: not a member of ${ns.getName()}`);
      else errors.push(...check(memberSchema, member, `${path}.${name}`));
    }
    return errors;
  }
  if (ns.isListSchema()) {
    if (!Array.isArray(value)) return [`${path}: must be a list`];
    return value.flatMap((item, i) => check(ns.getValueSchema(), item, `${path}[${i}]`));
  }
  if (ns.isMapSchema()) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: must be a map`];
    return Object.entries(value).flatMap(([k, v]) => check(ns.getValueSchema(), v, `${path}.${k}`));
  }
  if (ns.isStringSchema()) return typeof value === 'string' ? [] : [`${path}: must be a string`];
  if (ns.isBooleanSchema()) return typeof value === 'boolean' ? [] : [`${path}: must be a boolean`];
  if (ns.isNumericSchema()) return typeof value === 'number' ? [] : [`${path}: must be a number`];
  // On the JSON wire a timestamp is an ISO 8601 string or epoch seconds (the member's timestampFormat).
  if (ns.isTimestampSchema())
    return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: must be a timestamp`];
  if (ns.isBlobSchema()) return typeof value === 'string' ? [] : [`${path}: must be base64 text`];
  return [];
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
