import { open, stat, unlink } from 'node:fs/promises'
import { InternalError } from '../../errors.js'

/** How {@link withFileLock} waits. */
export type FileLockOptions = {
  /** Give up after this many ms. Default: 10 000. */
  timeout?: number | undefined
  /** A lock file older than this many ms is from a crashed process and is taken over. Default: 30 000. */
  stale?: number | undefined
}

/**
 * Runs `task` holding `lockPath`, a lock between processes: the file is created with
 * O_CREAT|O_EXCL (`wx`), which the OS grants to one process only, and removed after. A busy
 * lock is retried every few ms (with jitter, so waiting processes do not retry in step); a
 * lock left by a process that crashed is taken over once it is older than `stale` (a task
 * holds it for milliseconds, never seconds).
 *
 * @example
 * await withFileLock('./sessions.jsonl.lock', () => rewrite())
 */
export async function withFileLock<T>(lockPath: string, task: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { timeout = 10_000, stale = 30_000 } = options
  const deadline = Date.now() + timeout
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (age > stale) {
        await unlink(lockPath).catch(() => undefined)
        continue
      }
      if (Date.now() > deadline)
        throw new InternalError(`the lock ${lockPath} stayed taken for ${timeout} ms`, {
          file: lockPath,
          hint: 'another process holds the store; if none is running, delete the lock file',
        })
      await sleep(Math.min(2 + attempt, 20) * (0.5 + Math.random()))
    }
  }
  try {
    return await task()
  } finally {
    await unlink(lockPath).catch(() => undefined)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
