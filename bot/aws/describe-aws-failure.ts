import { errorMessage } from '../../findings/errors.js';
import { classifyAwsError, errorCode } from '../../pipeline/aws-errors.js';

/**
 * One sentence for a check when an AWS call of the bot failed: what failed, the SDK's code and message, and
 * what to do about it, by the same classification the CLI and the action use (pipeline/aws-errors.ts).
 */
export function describeAwsFailure(call: string, error: unknown): string {
  const code = errorCode(error);
  const detail = `${code}: ${errorMessage(error).replace(/\s+/g, ' ').trim()}`;
  switch (classifyAwsError(error)) {
    case 'access-denied':
      return `${call} was refused (${detail}); the bot's role lacks the permission: redeploy the bot stack, which grants it`;
    case 'credentials':
      return `${call} failed: the bot's AWS credentials were rejected (${detail}); check the Lambda's role`;
    case 'throttling':
      return `${call} was throttled by AWS even after retries (${detail}); re-run the checks in a minute`;
    case 'transient':
      return `${call} failed for now (${detail}); re-run the checks`;
    case 'not-found':
      return `${call} failed: not found (${detail}); check the pipeline name (pipeline.name in .github/pipewarden.yml, PIPEWARDEN_PIPELINES)`;
    default:
      return `${call} failed (${detail})`;
  }
}
