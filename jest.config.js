// Native ESM Jest (see CONVENTIONS.md §4): every main dependency is ESM-only.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // ts-jest transpiles each file alone, without type checking: tsconfig.json sets isolatedModules, and
  // `npm run typecheck` checks the types. (An esbuild transform was measured at 11.5 s of CPU against
  // ts-jest's 17.3 s for test/action and test/pipeline with no cache, about 5% of a cold run: not worth
  // leaving the ESM preset the conventions fix.)
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
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
