// Typed readers of a report's JSON fields (objectAt, optionalString, lineAt…) and the error they throw.

/** A known report with a field that is not what its format promises; the reader adds file and format. */
export class ReportFieldError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`field "${field}" should be ${expected}, found ${describe(actual)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export type Json = Record<string, unknown>;

// Every helper below names its field as `field` + `suffix`, joined only when the field is broken: readers call
// them with the item's path and a constant suffix, so a valid report builds no field names at all.
const named = (field: string, suffix: string | undefined) => (suffix === undefined ? field : field + suffix);

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(value: unknown, field: string, suffix?: string): Json {
  if (!isObject(value)) throw new ReportFieldError(named(field, suffix), 'an object', value);
  return value;
}

export function arrayAt(value: unknown, field: string, suffix?: string): unknown[] {
  if (!Array.isArray(value)) throw new ReportFieldError(named(field, suffix), 'an array', value);
  return value;
}

/** An optional array: absent or null is empty. */
export function optionalArrayAt(value: unknown, field: string, suffix?: string): unknown[] {
  if (value === undefined || value === null) return [];
  return arrayAt(value, field, suffix);
}

export function stringAt(value: unknown, field: string, suffix?: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ReportFieldError(named(field, suffix), 'a non-empty string', value);
  return value;
}

export function optionalString(value: unknown, field: string, suffix?: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new ReportFieldError(named(field, suffix), 'a string', value);
  return value === '' ? undefined : value;
}

export function optionalNumber(value: unknown, field: string, suffix?: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new ReportFieldError(named(field, suffix), 'a number', value);
  return n;
}

/** A positive line number, or undefined (scanners use -1 / 0 for "unknown"). */
export function lineAt(value: unknown, field: string, suffix?: string): number | undefined {
  const n = optionalNumber(value, field, suffix);
  return n !== undefined && n >= 1 ? Math.floor(n) : undefined;
}

/** Strings from an array that may hold other things; ids are compared upper-case for CVE/GHSA/CWE. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}
