import { CommanderError } from 'commander';
import { debugEnabled } from '../errors.js';
import { describeFailure } from './describe-failure.js';
import { buildProgram } from './program.js';
import { settleStdout, stdoutFailureCount } from './write-output.js';

/** Runs the CLI and returns the exit code: 0 ok / gate passed, 1 gate failed, 2 bad input, 3 a service failed. */
export async function main(argv: string[]): Promise<number> {
  const exit = { code: 0 };
  const program = await buildProgram(exit, argv);
  const failuresBefore = stdoutFailureCount();
  try {
    await program.parseAsync(argv, { from: 'user' });
    await settleStdout();
    // Output cut short by a broken stdout (not a reader leaving) is a failed run, whatever the command decided.
    return stdoutFailureCount() > failuresBefore ? Math.max(exit.code, 3) : exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    const { line, exitCode } = describeFailure(error);
    if (debugEnabled() && error instanceof Error) process.stderr.write(`${error.stack ?? error.message}\n`);
    else process.stderr.write(`${line}\n`);
    return exitCode;
  }
}
