// The action's post step (action.yml runs.post → dist/action/post/index.js): stops an orphaned execution.
import { runPost } from './runner.js';

await runPost();
