import type { KnipConfig } from 'knip';

// Dependencies declared exactly as imported, and no orphan files (issue 14): `npm run deps:check` in .ci/run.
// Unused exports are not checked yet (59 today).
const config: KnipConfig = {
  // findings/cli/index.ts, bot/server.ts and infra/bin/app.ts are entries already through package.json's
  // scripts (pipewarden, start, synth); knip flags them as redundant here.
  entry: ['bot/lambda.ts', 'action/*.ts', 'infra/lambda/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
  project: ['{pipeline,findings,bot,action,infra,test}/**/*.ts', 'scripts/**/*.ts', '*.{js,ts}'],
  // Generated ncc bundles (package.json "bin" points into them): their inlined code is not ours to check.
  ignore: ['dist/**'],
  ignoreDependencies: [
    // Run by path (node_modules/@vercel/ncc/dist/ncc/cli.js) from scripts/bundle.ts, never imported.
    '@vercel/ncc',
    // The `cdk` CLI that docs/deploy.md has users run (`npx cdk deploy`) against cdk.json.
    'aws-cdk',
  ],
  // A system tool test/findings/cli/unix-io.test.ts spawns to make a named pipe, not an npm binary.
  ignoreBinaries: ['mkfifo'],
};

export default config;
