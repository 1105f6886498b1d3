import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { PipewardenError } from '../errors.js';
import type { RenderOutput } from '../render/renderers.js';

async function writeAll(stream: Writable, content: RenderOutput): Promise<void> {
  for (const chunk of typeof content === 'string' ? [content] : content) {
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', resolve));
  }
}

/** Writes a whole file or nothing: a temporary file next to it, renamed into place once complete. */
export async function writeFileAtomic(file: string, content: RenderOutput): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  let stream: WriteStream | undefined;
  try {
    await mkdir(dirname(file), { recursive: true });
    // A deep buffer lets rendering go on while the disk writes (16 KB would wait for every chunk).
    stream = createWriteStream(tmp, { highWaterMark: 8 << 20 });
    const failed = new Promise<never>((_, reject) => stream!.once('error', reject));
    await Promise.race([writeAll(stream, content), failed]);
    await Promise.race([new Promise<void>((resolve) => stream!.end(resolve)), failed]);
    await rename(tmp, file);
  } catch (error) {
    stream?.destroy();
    await rm(tmp, { force: true });
    if (error instanceof PipewardenError) throw error;
    throw new PipewardenError(
      `${file}: cannot write the output (${(error as NodeJS.ErrnoException).code ?? 'error'}); check --out`,
      {
        cause: error,
      },
    );
  }
}

export async function writeOutput(out: string | undefined, content: RenderOutput): Promise<void> {
  if (out) await writeFileAtomic(out, content);
  else await writeAll(process.stdout, content);
}
