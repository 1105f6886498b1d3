// The hooks of record-loaded-modules.mjs (run on the loader's thread).
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (process.env.PIPEWARDEN_LOADED_MODULES)
    appendFileSync(process.env.PIPEWARDEN_LOADED_MODULES, `${url}\n`);
  return result;
}
