// Jest's test sequencer (jest.config.js), plain ESM JavaScript because Jest imports it without transforming.
import { readFileSync } from 'node:fs';
import TestSequencer from '@jest/test-sequencer';

/**
 * Starts the shared syntheses first and reads them last. The infra tests read apps synthesized once per change
 * of the sources (test/support/synth-cache.ts), all in one child process that the first reader starts and the
 * others wait for: ~50 s of CPU on a fresh clone. So: one reader first (the one asking for the organisation,
 * built first), which waits in its worker while the child runs beside the other workers; then every file that
 * reads no synthesis, in Jest's order (longest last run first, else largest); the other readers last, when the
 * child is long done. Were the readers spread through the run, a fresh clone would have several workers
 * waiting at once and a core idle.
 */
export default class SynthesesFirst extends TestSequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    const sources = new Map(ordered.map((t) => [t, readFileSync(t.path, 'utf8')]));
    const reads = (t) => /\bloadTemplates\(/.test(sources.get(t));
    const readers = ordered.filter(reads);
    const starter =
      readers.find((t) => /\bloadTemplates\('(\w+)'\)/.exec(sources.get(t))?.[1] === 'organisation') ??
      readers[0];
    const rest = readers.filter((t) => t !== starter);
    return [...(starter ? [starter] : []), ...ordered.filter((t) => !reads(t)), ...rest];
  }
}
