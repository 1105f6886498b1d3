import { afterEach, describe, expect, it } from '@jest/globals';
import { main } from '../../../findings/cli/main.js';
import { fixture } from '../helpers.js';

// The CLI's commands return their exit code to main(); only the entry point (findings/cli/index.ts) sets
// process.exitCode. A stdout that breaks under the output (not a reader leaving) is exit 3, returned.

const snyk = fixture('snyk/test-report-with-reachability.json');
const realWrite = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);

afterEach(() => {
  process.stdout.write = realWrite;
  process.stderr.write = realErr;
  process.exitCode = undefined;
});

/** Runs main() with stdout failing on its first write the way a broken descriptor does: an 'error' event. */
async function runWithBrokenStdout(code: string, args: string[]) {
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as never;
  process.stdout.write = ((_chunk: unknown, ...rest: unknown[]) => {
    const error = Object.assign(new Error(`write ${code}`), { code });
    process.nextTick(() => process.stdout.emit('error', error));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as never;
  const exit = await main(args);
  // Node's own warnings (Jest's VM modules) may land on stderr too: the CLI's lines are ours to check.
  return { exit, said: stderr.split('\n').filter((line) => line.startsWith('pipewarden')) };
}

describe('exit codes are returned, never left on process.exitCode', () => {
  it('a stdout that fails (EIO) under `report` returns 3 and says so on one line', async () => {
    const r = await runWithBrokenStdout('EIO', ['report', '--format', 'json', '--source-root', '/', snyk]);
    expect(r.exit).toBe(3);
    expect(r.said).toEqual(['pipewarden: cannot write to stdout (EIO); use --out <file>']);
    expect(process.exitCode).toBeUndefined();
  });

  it('a reader leaving (EPIPE) keeps the command’s own code, 0 here', async () => {
    const r = await runWithBrokenStdout('EPIPE', ['report', '--format', 'json', '--source-root', '/', snyk]);
    expect(r.exit).toBe(0);
    expect(r.said).toEqual([]);
    expect(process.exitCode).toBeUndefined();
  });
});
