// A local CodePipeline for the `action` workflow (.github/workflows/action.yml): the tests' one fake,
// speaking the service's JSON 1.1 protocol on 127.0.0.1, kept running in the background of the job so that
// `uses: ./` steps reach it through AWS_ENDPOINT_URL_CODEPIPELINE. Writes its URL to the file named by the
// first argument (or prints it) and stops on SIGTERM / SIGINT.
import { writeFileSync } from 'node:fs';
import { FakeCodePipeline } from '../../test/support/codepipeline-fake.js';

const fake = await new FakeCodePipeline().start();
const file = process.argv[2];
if (file) writeFileSync(file, fake.url);
else console.log(fake.url);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => {
    console.log(`fake CodePipeline: ${fake.operations().join(', ') || 'no requests'}`);
    void fake.stop().then(() => process.exit(0));
  });
