// `node --import ./record-loaded-modules.mjs …`: every module the process loads (ESM hooks' load, which also
// sees each CommonJS package imported from ESM) is appended to $PIPEWARDEN_LOADED_MODULES, one URL a line.
import { register } from 'node:module';

register('./record-loaded-modules-hooks.mjs', import.meta.url);
