// Jest's transformer for the TypeScript sources and tests (jest.config.js), plain ESM JavaScript because Jest
// loads it without transforming. esbuild strips the types file by file, as ts-jest did with isolatedModules
// (tsconfig.json sets it, so every file compiles alone); `npm run typecheck` checks the types.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';

const esbuildVersion = JSON.parse(
  readFileSync(new URL(import.meta.resolve('esbuild/package.json')), 'utf8'),
).version;
const self = readFileSync(new URL(import.meta.url), 'utf8');

/** @type {import('@jest/transform').SyncTransformer} */
const transformer = {
  canInstrument: false,
  getCacheKey: (source, path) =>
    createHash('sha256').update(esbuildVersion).update(self).update(path).update(source).digest('hex'),
  process: (source, path) => {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: path,
      sourcemap: 'external',
      // tsconfig.json's ES2022 target: class fields are defined, as tsc emits them.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
    return { code, map };
  },
};
export default transformer;
