import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined | null = null;

/**
 * Collects garbage between large reports. V8 lets the heap grow long before collecting, so a 90 MB
 * report's parse tree would still be resident while the next one is parsed; on a small CodeBuild
 * instance that is the difference between fitting and not. Only called after large inputs.
 */
export function reclaimMemory(): void {
  if (gc === null) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = undefined;
    }
  }
  gc?.();
}
