import type { ServerResponse } from 'node:http';

/** Answers as the AWS JSON protocols do: the error type in x-amzn-errortype. */
export function json(res: ServerResponse, status: number, payload: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(JSON.stringify(payload));
}

/** Answers as S3 (REST-XML) does. */
export function xmlError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  head: boolean,
): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  // HEAD answers carry no body: the SDK then knows only the status (404 → NotFound).
  res.end(
    head
      ? undefined
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`,
  );
}
