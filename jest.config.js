// Native ESM Jest (see CONVENTIONS.md §4): every main dependency is ESM-only.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // Each file is transpiled alone by swc, without type checking (tsconfig.json sets isolatedModules; `npm run
  // typecheck` checks the types), to ES modules Jest runs natively. ts-jest's ESM preset did the same through
  // TypeScript's transpileModule at several times the CPU: on a fresh clone (no transform cache) swc took
  // 64-67 s of CPU for test/findings, test/pipeline and test/action against ts-jest's 84-92 s, and the whole
  // cold `npm test` about 40 s less. ts-jest-resolver still maps the sources' `.js` imports to `.ts`.
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript' },
          target: 'es2022',
          // `import … with { type: 'json' }` stays as written (Node needs the attribute).
          experimental: { keepImportAttributes: true, emitAssertForImportAttributes: false },
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/cdk.out/'],
  testTimeout: 60000,
  // Jest's default is one worker fewer than the cores: on a 2-core machine that is one worker, so every
  // file ran in turn. Workers also wait: on child processes (bash, the CLI, cdk synth) and on real time (the
  // SDK's retry back-off, a code-scanning status poll), so one worker more than the cores fills those
  // waits. A fresh clone on 2 cores, cold, paired: 3 workers 169.0 / 174.3 s, 2 workers 179.6 / 188.9 s.
  // (A number, not '150%': Jest reads a percentage above 100 as that many workers.)
  maxWorkers: availableParallelism() + 1,
  // Syntheses first: a fresh clone has no durations for Jest to order the files by.
  testSequencer: '<rootDir>/test/support/test-sequencer.js',
};
