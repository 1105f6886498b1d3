import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PipewardenError } from '../errors.js';

/** Writes a whole file or nothing: a temporary file next to it, renamed into place. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new PipewardenError(
      `${file}: cannot write the output (${(error as NodeJS.ErrnoException).code ?? 'error'}); check --out`,
      {
        cause: error,
      },
    );
  }
}

export async function writeOutput(out: string | undefined, content: string): Promise<void> {
  if (out) await writeFileAtomic(out, content);
  else
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(content, (e) => (e ? reject(e) : resolve())),
    );
}
