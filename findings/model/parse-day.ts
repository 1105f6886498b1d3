/**
 * A calendar day as `YYYY-MM-DD`, from an ISO 8601 date or date-time (`2026-12-31`, `2027-03-01T00:00:00Z`)
 * or a Date, or undefined. Only four-digit years and real days: `99999`, `2026-02-30` or an epoch number are
 * not days (JavaScript's Date would read them as year 99999, March 2nd, or 1970).
 */
export function parseDay(value: unknown): string | undefined {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return undefined;
    const iso = value.toISOString();
    return /^\d{4}-/.test(iso) ? iso.slice(0, 10) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    value.trim(),
  );
  if (!m) return undefined;
  const day = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day ? day : undefined;
}
