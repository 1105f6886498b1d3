// Jest's test sequencer (jest.config.js), plain ESM JavaScript because Jest imports it without transforming.
import { readFileSync } from 'node:fs';
import TestSequencer from '@jest/test-sequencer';

// Costliest first: CPU seconds of each cached synthesis with the rule packs (test/support/synth-cache.ts).
// central and the variants (test/infra/variants.ts) need no starter: they are companions, built after these in
// the example's and the organisation's children, which the starters start before any file that reads them.
const CACHED_CONFIGS = ['organisation', 'example', 'full'];

/**
 * Starts the syntheses first. Most of the suite's time is app syntheses (10-50 s each): the shared ones of
 * synth-cache.ts, built once by the first file that asks, which every other infra file waits for, and the
 * one-off ones of a few files. Without durations from an earlier run (a fresh clone) Jest orders files by
 * size and may ask for a shared synthesis only after several files are already waiting on it, or start the
 * longest file last. So: one file per shared synthesis first, then the files that synthesize their own
 * apps, then the rest in Jest's order (longest last run first, else largest).
 */
export default class SynthesesFirst extends TestSequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const sources = new Map(ordered.map((t) => [t, readFileSync(t.path, 'utf8')]));
    // The shared synthesis a file asks for first, if any.
    const firstCached = (t) => /\bloadTemplates\('(\w+)'\)/.exec(sources.get(t))?.[1];
    const starters = CACHED_CONFIGS.map((config) => ordered.find((t) => firstCached(t) === config));
    // Files that synthesize their own apps; those that wait for no shared one first.
    const own = ordered
      .filter((t) => !starters.includes(t) && /\bsynthesize\(/.test(sources.get(t)))
      .sort((a, b) => Number(firstCached(a) !== undefined) - Number(firstCached(b) !== undefined));
    const first = [...starters.filter((t) => t !== undefined), ...own];
    return [...first, ...ordered.filter((t) => !first.includes(t))];
  }
}
