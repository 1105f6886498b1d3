// The action's main step (action.yml runs.main → dist/action/index.js).
import { run } from './runner.js';

await run();
