import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Where secrets could surface in a log line: the App's private key and webhook secret (settings objects),
 * installation tokens and JWTs (Octokit request options and errors), webhook signatures (HTTP headers).
 * pino removes these fields before a line is written, whatever logs it.
 */
export const REDACTED_PATHS = [
  'privateKey',
  'webhookSecret',
  'secret',
  'token',
  'jwt',
  '*.privateKey',
  '*.webhookSecret',
  '*.secret',
  '*.token',
  '*.jwt',
  'headers.authorization',
  'headers["x-hub-signature-256"]',
  'headers["x-hub-signature"]',
  '*.headers.authorization',
  '*.headers["x-hub-signature-256"]',
  '*.headers["x-hub-signature"]',
  'err.request.headers.authorization',
  'err.response.headers.authorization',
  'error.request.headers.authorization',
  'request.headers.authorization',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'err.event.signature',
  'event.signature',
];

export interface LoggerOptions {
  level?: string;
  /** Defaults to stdout (CloudWatch Logs on Lambda); tests pass a stream they read. */
  destination?: DestinationStream;
}

/** JSON lines with secrets redacted: the logger the Lambda gives Probot, and so every handler. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    {
      name: 'pipewarden-bot',
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // The Lambda runtime adds the request id and time; pid and hostname say nothing there.
      base: undefined,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A child of Probot's own logger (`probot run`) with the same redaction. */
export function redactingChild(log: Logger, bindings: Record<string, unknown> = {}): Logger {
  return log.child(bindings, { redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
