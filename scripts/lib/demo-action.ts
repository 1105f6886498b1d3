// The action part of `npm run demo`: the committed bundle (dist/action/index.js), run as the GitHub runner
// runs it (INPUT_* variables, file commands), starts and follows a pipeline on a local CodePipeline that
// speaks the service's JSON 1.1 protocol (the tests' one CodePipeline fake). Its job summary and outputs go to <out>/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCodePipeline } from '../../test/support/codepipeline-fake.js';
import { runBundle } from '../../test/action/fixtures/run-bundle.js';

const out = process.argv[2] ?? join('out', 'action');
mkdirSync(out, { recursive: true });

const codepipeline = await new FakeCodePipeline().start();
try {
  const run = runBundle('main', {
    endpoint: codepipeline.url,
    inputs: { 'pipeline-name': 'pipewarden-feature', variables: 'PULL_REQUEST=7' },
  });
  const { code, stdout, stderr } = await run.done;
  writeFileSync(join(out, 'summary.md'), run.summary());
  writeFileSync(join(out, 'outputs.json'), JSON.stringify(run.outputs(), null, 2));
  writeFileSync(join(out, 'log.txt'), stdout + stderr);
  const outputs = run.outputs();
  console.log(
    `   uses: pipewarden (dist/action) → ${codepipeline.calls('StartPipelineExecution').length} start, ` +
      `${codepipeline.calls('GetPipelineExecution').length} polls; exit ${code}, status ${outputs.status ?? '-'}`,
  );
  console.log(`   job summary, outputs and log → ${out}/`);
  if (code !== 0) throw new Error(`demo: the action exited ${code}:\n${stdout}${stderr}`);
} finally {
  await codepipeline.stop();
}
