import { readFile } from 'node:fs/promises';
import { PipewardenError } from '../errors.js';

/** A report file's text, read once; a file that cannot be read is a one-line error naming why. */
export async function readReportText(file: string): Promise<string> {
  let text: string;
  try {
    // One decode of the whole buffer: readFile(file, 'utf8') decodes chunk by chunk, several times slower.
    text = (await readFile(file)).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'ELOOP'
            ? 'ELOOP: a symbolic link loop'
            : code === 'EACCES'
              ? 'EACCES: permission denied'
              : (code ?? 'unreadable');
    throw new PipewardenError(
      `${file}: cannot read the report (${why}); check the path, or that the scan step wrote it`,
      {
        cause: error,
      },
    );
  }
  return text;
}
