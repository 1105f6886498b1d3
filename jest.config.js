// Native ESM Jest (see CONVENTIONS.md §4): every main dependency is ESM-only.
/** @type {import('jest').Config} */
export default {
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // esbuild strips the types file by file (tsconfig.json's isolatedModules makes that safe). With no Jest
  // cache (a fresh clone), test/action and test/pipeline took 17.3 s of CPU under ts-jest, 11.5 s with it.
  // `npm run typecheck` checks the types.
  transform: {
    '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js',
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/cdk.out/'],
  testTimeout: 60000,
  // Jest's default is one worker fewer than the cores: on a 2-core machine that is one worker, so every
  // file ran in turn. Most of the time here is spent waiting on child processes (bash, the CLI, cdk
  // synth), so a worker per core keeps both cores busy.
  maxWorkers: '100%',
  // Syntheses first: a fresh clone has no durations for Jest to order the files by.
  testSequencer: '<rootDir>/test/support/test-sequencer.js',
};
