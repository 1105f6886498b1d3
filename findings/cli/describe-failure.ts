import { errorMessage, PipewardenError } from '../errors.js';
import { errorCode } from '../../pipeline/aws-errors.js';
import { oneLine } from './one-line.js';

/** Longest line an unexpected error's own text may take: the rest is on PIPEWARDEN_DEBUG=1. */
const MAX_DETAIL = 300;

/**
 * The one line the CLI prints for a failure and its exit code. A PipewardenError already names the input
 * and the fix; anything else (an SDK error that escaped, a Node error) gets one from what it is. Control
 * bytes (a newline in a file name) are shown escaped so the line stays whole.
 */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof PipewardenError) return { line: oneLine(error.message), exitCode: error.exitCode };
  const message = error instanceof Error ? error.message : errorMessage(error);
  const code = errorCode(error);
  const detail = oneLine(message.replace(/\s+/g, ' ').trim()).slice(0, MAX_DETAIL);
  if (/Region is missing/i.test(message))
    return {
      line: 'pipewarden: the AWS region is missing: set AWS_REGION (CodeBuild sets it) or AWS_DEFAULT_REGION, then run again',
      exitCode: 3,
    };
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(message))
    return {
      line: 'pipewarden: no AWS credentials found: run inside CodeBuild with a service role, or set AWS_PROFILE / AWS_ACCESS_KEY_ID, then run again',
      exitCode: 3,
    };
  if (error instanceof RangeError && /call stack/i.test(message))
    return {
      line: 'pipewarden: an input is nested too deeply to process (thousands of levels); regenerate the report with its scanner',
      exitCode: 2,
    };
  const errno = (error as NodeJS.ErrnoException).code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno))
    return {
      line: `pipewarden: ${detail}; check the path or the network named, then run again`,
      exitCode: 3,
    };
  return {
    line: `pipewarden: unexpected error (${code}: ${detail}); run again with PIPEWARDEN_DEBUG=1 for the stack trace`,
    exitCode: 3,
  };
}
