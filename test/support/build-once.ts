import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Builds `directory` once across processes (Jest's workers): the first takes a lock and builds beside it,
 * then renames into place; the others wait for the directory, which they find complete or not at all.
 * The lock only saves work: should two processes build anyway (a lock taken over as stale while its owner
 * still ran), the second finds the first's directory, built from the same sources, and keeps it.
 */
export function buildOnce(directory: string, build: (into: string) => void): void {
  buildTogetherOnce(directory, [], ([target]) => {
    build(target!.building);
    renameSync(target!.building, target!.directory);
  });
}

/** A directory being built: `building` beside it, renamed to `directory` when complete. */
export interface BuildTarget {
  readonly directory: string;
  readonly building: string;
}

/**
 * buildOnce for `directory` and, in the same build, each of `companions` that is neither built nor being
 * built by another process (its lock is tried, never waited for: no two builders wait on each other). The
 * build gets `directory`'s target first and renames each target into place as soon as it is complete, so
 * that the processes waiting for one need not wait for the others (what it leaves unrenamed is discarded).
 */
export function buildTogetherOnce(
  directory: string,
  companions: readonly string[],
  build: (targets: BuildTarget[]) => void,
): void {
  const lock = `${directory}.lock`;
  while (!takeLock(lock)) {
    sleep(250);
    if (existsSync(directory)) return;
  }
  const held = [directory];
  for (const companion of companions)
    if (!existsSync(companion) && takeLock(`${companion}.lock`)) held.push(companion);
  const targets = held.map((d) => ({ directory: d, building: `${d}.${process.pid}.tmp` }));
  try {
    if (existsSync(directory)) return;
    for (const { building } of targets) {
      rmSync(building, { recursive: true, force: true });
      mkdirSync(building);
    }
    build(targets.filter((t) => t.directory === directory || !existsSync(t.directory)));
  } catch (error) {
    if (!existsSync(directory)) throw error;
  } finally {
    for (const t of targets) {
      rmSync(t.building, { recursive: true, force: true });
      releaseLock(`${t.directory}.lock`);
    }
  }
}

/** Holds `lock` for this process; a lock left by a process that died is taken over. */
function takeLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = lockOwner(lock);
  if (owner === undefined || isRunning(owner)) return false;
  // Several waiters may find the owner dead at once. Removing the lock by name would let a slow one remove
  // the lock another has just taken; renaming it away is atomic, and what was renamed is checked.
  const stale = `${lock}.${process.pid}.stale`;
  try {
    renameSync(lock, stale);
  } catch {
    return false; // another waiter took it over first
  }
  if (lockOwner(stale) !== owner) {
    // A live lock, taken since: put it back unless yet another process holds the name by now.
    try {
      linkSync(stale, lock);
    } catch {
      // that process builds too; buildOnce tolerates it
    }
  }
  rmSync(stale, { force: true });
  return false;
}

/** Releases `lock` if this process still holds it (a waiter may have taken it over as stale). */
function releaseLock(lock: string): void {
  if (lockOwner(lock) === process.pid) rmSync(lock, { force: true });
}

function lockOwner(lock: string): number | undefined {
  try {
    return Number(readFileSync(lock, 'utf8')) || undefined;
  } catch {
    return undefined; // released meanwhile
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** buildOnce is synchronous (loadTemplates runs from beforeAll or a module's top level): it waits without a timer. */
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
