import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// The dependency direction (docs/security-model.md, issue 14), enforced: findings/ is the core and imports no other
// part; bot/ and action/ are siblings that never import each other; runtime code never imports infra/; only tests
// import test/. Every part lives at the repository root, so leaving a part takes at least one '../'.
const leaving = (part) => `^(\\.\\.?/)*\\.\\./${part}(/|$)`;
const forbid = (part, why) => ({ regex: leaving(part), message: `${why} (eslint.config.js, issue 14).` });
const noTest = {
  regex: '^(\\.\\.?/)+test(/|$)',
  message: 'only test/ imports test/: move the shared code out of test/ (eslint.config.js, issue 14).',
};
const noInfra = forbid(
  'infra',
  'runtime code never imports infra/ (the CDK app): put shared names in findings/',
);
const boundaries = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [...patterns, noTest] }],
});

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
    files: ['findings/**'],
    rules: boundaries(
      forbid('bot', 'findings/ never imports bot/: the core knows nothing of GitHub Apps'),
      forbid('action', 'findings/ never imports action/: the core knows nothing of workflow runners'),
      noInfra,
    ),
  },
  {
    files: ['bot/**'],
    rules: boundaries(
      forbid('action', 'bot/ never imports action/: share the code through findings/'),
      noInfra,
    ),
  },
  {
    files: ['action/**'],
    rules: boundaries(forbid('bot', 'action/ never imports bot/: share the code through findings/'), noInfra),
  },
);
