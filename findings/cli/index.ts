#!/usr/bin/env node
import { main } from './main.js';
import { watchStdout } from './write-output.js';

// `pipewarden report … | head`: the reader leaving ends the output quietly, not with an EPIPE stack.
watchStdout();
process.exitCode = await main(process.argv.slice(2));
