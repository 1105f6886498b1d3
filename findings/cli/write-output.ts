import { createWriteStream, type WriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { PipewardenError } from '../errors.js';
import type { RenderOutput } from '../render/renderers.js';
import { shownFile } from './one-line.js';

/** `-` names stdin for an input and stdout for `--out`, as Unix tools do. */
export const STDIO = '-';

let stdoutGone = false;
let watching = false;
let stdoutFailures = 0;
const WATCHER = Symbol.for('pipewarden.stdout-watcher');

/**
 * A reader that goes away (`report … | head`) is not an error: the rest of the output is dropped quietly
 * and the exit code stays the command's. Any other stdout error is said once and counted: main() turns it
 * into exit 3 (see `stdoutFailed`). Installed once.
 */
export function watchStdout(stream: Writable = process.stdout): void {
  if (watching) return;
  watching = true;
  // One watcher per stream, even when this module is loaded again in the same process (a test runner's
  // fresh module registry): a watcher left by an earlier copy would say the error a second time.
  const owner = stream as Writable & { [WATCHER]?: (error: NodeJS.ErrnoException) => void };
  if (owner[WATCHER]) stream.off('error', owner[WATCHER]);
  owner[WATCHER] = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || stdoutGone) {
      stdoutGone = true;
      return;
    }
    // Said once: every later write to the broken stream fails the same way.
    if (stdoutFailures++ > 0) return;
    process.stderr.write(
      `pipewarden: cannot write to stdout (${error.code ?? error.message}); use --out <file>\n`,
    );
  };
  stream.on('error', owner[WATCHER]);
}

/** How many stdout errors (other than a reader leaving) were seen so far; compare before and after a run. */
export function stdoutFailureCount(): number {
  return stdoutFailures;
}

/** Lets a stdout error of the last write (emitted on a later tick) arrive before the exit code is decided. */
export async function settleStdout(): Promise<void> {
  if (watching) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function writeAll(stream: Writable, content: RenderOutput, quietOnEpipe = false): Promise<void> {
  for (const chunk of typeof content === 'string' ? [content] : content) {
    if (quietOnEpipe && (stdoutGone || stream.destroyed)) return;
    if (!stream.write(chunk))
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          stream.off('drain', done);
          stream.off('close', done);
          stream.off('error', done);
          if (error && !(quietOnEpipe && (error as NodeJS.ErrnoException).code === 'EPIPE')) reject(error);
          else resolve();
        };
        stream.once('drain', done);
        stream.once('close', done);
        stream.once('error', done);
      });
  }
}

function cannotWrite(file: string, error: unknown): PipewardenError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const why =
    code === 'ELOOP'
      ? 'ELOOP: a symbolic link loop'
      : code === 'ENOTDIR'
        ? 'ENOTDIR: a part of the path is a file, not a directory'
        : code === 'EISDIR'
          ? 'EISDIR: it is a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? `${code}: permission denied`
            : code === 'ENOSPC'
              ? 'ENOSPC: the disk is full'
              : code;
  return new PipewardenError(
    `--out ${shownFile(file)}: cannot write the output (${why}); give a writable file path, or - for stdout`,
    { cause: error },
  );
}

/** Streams into an open stream, failing on its first error. */
async function writeStream(stream: WriteStream, content: RenderOutput): Promise<void> {
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  await Promise.race([writeAll(stream, content), failed]);
  await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
}

/** Writes a whole file or nothing: a temporary file next to it, renamed into place once complete. */
export async function writeFileAtomic(file: string, content: RenderOutput): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  let stream: WriteStream | undefined;
  try {
    await mkdir(dirname(file), { recursive: true });
    // A deep buffer lets rendering go on while the disk writes (16 KB would wait for every chunk).
    stream = createWriteStream(tmp, { highWaterMark: 8 << 20 });
    await writeStream(stream, content);
    await rename(tmp, file);
  } catch (error) {
    stream?.destroy();
    await rm(tmp, { force: true });
    if (error instanceof PipewardenError) throw error;
    throw cannotWrite(file, error);
  }
}

/** Writes into what is already there (a device, a FIFO, a dangling link's target), the way `>` does. */
async function writeThrough(file: string, content: RenderOutput): Promise<void> {
  const stream = createWriteStream(file, { flags: 'w' });
  try {
    await writeStream(stream, content);
  } catch (error) {
    stream.destroy();
    throw cannotWrite(file, error);
  }
}

/**
 * `--out`: stdout for `-` (or none); a regular file, or a symbolic link to one, is replaced atomically (the
 * link stays, its target gets the content); anything else (/dev/stdout, a FIFO, a character device) is
 * written through, never replaced by a regular file.
 */
export async function writeOutput(out: string | undefined, content: RenderOutput): Promise<void> {
  if (out === undefined || out === STDIO) {
    watchStdout();
    return writeAll(process.stdout, content, true);
  }
  let link;
  try {
    link = await lstat(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return writeFileAtomic(out, content);
    throw cannotWrite(out, error);
  }
  if (link.isFile()) return writeFileAtomic(out, content);
  if (link.isDirectory()) throw cannotWrite(out, Object.assign(new Error('directory'), { code: 'EISDIR' }));
  if (link.isSymbolicLink()) {
    let target: string;
    try {
      target = await realpath(out);
    } catch (error) {
      // A dangling link: create its target through it, as a shell redirection would.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return writeThrough(out, content);
      throw cannotWrite(out, error);
    }
    const resolved = await stat(target);
    if (resolved.isFile())
      return writeFileAtomic(target, content).catch((error: unknown) => {
        throw error instanceof PipewardenError ? cannotWrite(out, error.cause) : error;
      });
    if (resolved.isDirectory())
      throw cannotWrite(out, Object.assign(new Error('directory'), { code: 'EISDIR' }));
  }
  return writeThrough(out, content);
}
