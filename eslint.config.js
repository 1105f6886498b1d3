import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// The dependency direction (docs/security-model.md, issue 14), enforced: pipeline/ (the deployed system's names and
// CodePipeline helpers) is a leaf that imports no other part; findings/ is the engine and imports no other part but
// pipeline/aws-errors (its AWS error classification), except its CLI, which may use all of pipeline/; bot/ and
// action/ are siblings that never import each other; runtime code never imports infra/; only tests import test/.
// Every part lives at the repository root, so leaving a part takes at least one '../'.
const leaving = (part) => `^(\\.\\.?/)*\\.\\./${part}(/|$)`;
const forbid = (part, why) => ({ regex: leaving(part), message: `${why} (eslint.config.js, issue 14).` });
const noTest = {
  regex: '^(\\.\\.?/)+test(/|$)',
  message: 'only test/ imports test/: move the shared code out of test/ (eslint.config.js, issue 14).',
};
const noInfra = forbid(
  'infra',
  'runtime code never imports infra/ (the CDK app): put shared names in pipeline/',
);
// Any pipeline/ module but aws-errors (eslint's regex flavour has lookahead).
const pipelineBeyondErrors = {
  regex: '^(\\.\\.?/)*\\.\\./pipeline/(?!aws-errors\\.js$)',
  message:
    'findings/ imports only pipeline/aws-errors.js of pipeline/ (the engine knows nothing of CodePipeline); the CLI (findings/cli/) may import the rest (eslint.config.js, issue 14).',
};
const boundaries = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [...patterns, noTest] }],
});
const findingsCore = [
  forbid('bot', 'findings/ never imports bot/: the core knows nothing of GitHub Apps'),
  forbid('action', 'findings/ never imports action/: the core knows nothing of workflow runners'),
  noInfra,
];
// The parse layer takes text and values; findings/load/ reads the files (and stdin) it is given.
const noFileReads = ['node:fs', 'node:fs/promises', 'fs', 'fs/promises'].map((name) => ({
  name,
  message:
    'findings/parse/ reads no files: read them in findings/load/ and pass the text in (eslint.config.js, issue 14).',
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'cdk.out/', 'out/', 'coverage/', 'bench-out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // A later block replaces the rule's options, so each part's block repeats the test/ pattern.
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    // The demo and the local fake CodePipeline (scripts/lib/) and the organisation simulation
    // (scripts/simulate-org.ts) run the test fakes and harness on purpose: they show what the tests exercise.
    ignores: ['test/**', 'scripts/lib/**', 'scripts/simulate-org.ts'],
    rules: boundaries(),
  },
  {
    files: ['pipeline/**'],
    rules: boundaries(
      ...['findings', 'bot', 'action'].map((part) =>
        forbid(part, `pipeline/ never imports ${part}/: it is the leaf every part shares`),
      ),
      noInfra,
    ),
  },
  {
    files: ['findings/**'],
    ignores: ['findings/cli/**'],
    rules: boundaries(...findingsCore, pipelineBeyondErrors),
  },
  {
    files: ['findings/parse/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: noFileReads, patterns: [...findingsCore, pipelineBeyondErrors, noTest] },
      ],
    },
  },
  {
    files: ['findings/cli/**'],
    rules: boundaries(...findingsCore),
  },
  {
    files: ['bot/**'],
    rules: boundaries(
      forbid('action', 'bot/ never imports action/: share the code through pipeline/ or findings/'),
      noInfra,
    ),
  },
  {
    files: ['action/**'],
    rules: boundaries(
      forbid('bot', 'action/ never imports bot/: share the code through pipeline/ or findings/'),
      noInfra,
    ),
  },
);
