/**
 * One error type and one message helper for every part of pipewarden (docs/architecture.md, "Conventions").
 * A PipewardenError is an expected, user-facing failure: its message names the input at fault and the fix,
 * and it is printed as one line without a stack trace (unless PIPEWARDEN_DEBUG=1).
 */
export class PipewardenError extends Error {
  /** Process exit code for the CLI: 2 = bad input / usage, 1 = a check failed, 3 = a remote service failed. */
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message.startsWith('pipewarden') ? message : `pipewarden: ${message}`, { cause: options.cause });
    this.name = 'PipewardenError';
    this.exitCode = options.exitCode ?? 2;
  }
}

/** The message of anything thrown, as one line. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? String(error);
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PIPEWARDEN_DEBUG === '1' || env.PIPEWARDEN_DEBUG === 'true';
}
