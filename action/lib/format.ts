/** `12:03:04Z`: the log's timestamps, in UTC like the runner's own. */
export function clock(date: Date | undefined): string {
  return date ? `${date.toISOString().slice(11, 19)}Z` : '--:--:--Z';
}

/** `45s`, `3m07s`, `1h02m`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function span(start: Date | undefined, end: Date | undefined): number | undefined {
  return start && end ? end.getTime() - start.getTime() : undefined;
}

/** One line of text from something a remote service wrote. */
export function oneLine(text: string | undefined, max = 300): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
