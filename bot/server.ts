import { run } from 'probot';
import app from './app.js';
import { createOctokitClass } from './github/create-octokit.js';

/**
 * `npm start`: Probot's own server, settings from the environment or `.env` (without an App yet, the
 * manifest flow from app.yml), with the same Octokit as on Lambda: the same rate-limit and retry rules.
 */
await run(app, { Octokit: createOctokitClass() });
