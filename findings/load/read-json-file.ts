import { readFile } from 'node:fs/promises';
import { PipewardenError } from '../errors.js';
import { parseJsonText } from '../parse/parse-json-text.js';

/** Reads a JSON file; a syntax error names the file, line and column. */
export async function readJsonFile(file: string): Promise<unknown> {
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
  return parseJsonText(text, file);
}
