// Run by synth-cache.ts in a child process (tsx): synthesizes one named configuration the way the infra
// tests do (test/infra/synth.ts, checks on) and copies its cloud assembly to the directory given.
import { cpSync } from 'node:fs';
import { exampleConfig, fullConfig, synthesize } from '../infra/synth.js';

const [name, outdir] = process.argv.slice(2);
const configs = { example: exampleConfig, full: fullConfig };
if (!outdir || !(name && name in configs))
  throw new Error(`pipewarden test: synth-to-directory <${Object.keys(configs).join('|')}> <outdir>`);
const app = synthesize(configs[name as keyof typeof configs]());
cpSync(app.assembly.directory, outdir, { recursive: true });
