import { randomUUID } from 'node:crypto'
import { open, readFile, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { causeOf, InternalError } from '../../errors.js'

/** How {@link withFileLock} waits. */
export type FileLockOptions = {
  /** Give up after this many ms. Default: 10 000. */
  timeout?: number | undefined
  /**
   * A lock held longer than this many ms by a process that still runs is taken over (a task
   * holds it for milliseconds, never seconds). Must be below `timeout`, so that a waiter outlives
   * a hung holder. A holder that died is taken over at once, whatever the age. Default: 5 000.
   */
  stale?: number | undefined
}

/**
 * Runs `task` holding `lockPath`, a lock between processes: the file is created with
 * O_CREAT|O_EXCL (`wx`), which the OS grants to one process only, and holds its owner's host,
 * pid and a nonce. A busy lock is retried every few ms (with jitter, so waiting processes do
 * not retry in step). A lock whose holder died (same host, pid gone: a SIGKILL mid-write) or
 * that is older than `stale` is taken over, atomically: see {@link breakLock}. The lock is
 * removed after the task only if it is still this holder's.
 *
 * A lock that cannot be written (a full disk) is closed and removed, and the error says why.
 *
 * @example
 * await withFileLock('./sessions.jsonl.lock', () => rewrite())
 */
export async function withFileLock<T>(lockPath: string, task: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { timeout = 10_000, stale = Math.min(5_000, timeout / 2) } = options
  if (!(stale < timeout)) throw new InternalError(`lock options: stale (${stale} ms) must be below timeout (${timeout} ms)`, { file: lockPath })
  const token = `${host}\n${process.pid}\n${randomUUID()}\n`
  const deadline = Date.now() + timeout
  for (let attempt = 0; !(await tryCreate(lockPath, token)); attempt++) {
    const holder = await readHolder(lockPath)
    if (holder === undefined) continue // released in between: try again at once
    if ((!holder.alive || holder.age > stale) && (await breakLock(lockPath, holder.content, stale))) continue
    if (Date.now() > deadline)
      throw new InternalError(`the lock ${lockPath} stayed taken for ${timeout} ms (by process ${holder.pid ?? '?'}${holder.host === host ? '' : ` on ${holder.host}`}, still running)`, {
        file: lockPath,
        hint: 'another process holds the store and has not let go; if it hangs, stop it',
      })
    await sleep(Math.min(2 + attempt, 20) * (0.5 + Math.random()))
  }
  try {
    return await task()
  } finally {
    // Only our own: a holder that overran `stale` was taken over, and the lock is someone else's now.
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === token) await unlink(lockPath).catch(() => undefined)
  }
}

const host = hostname()

/** Creates the lock holding `token`; `false` when it exists. A lock that cannot be written is removed and reported. */
async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  let handle
  try {
    handle = await open(lockPath, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw lockError(lockPath, 'create', error)
  }
  try {
    await handle.writeFile(token)
  } catch (error) {
    // A lock without its owner cannot be told from one whose owner is still writing: remove it.
    await handle.close().catch(() => undefined)
    await unlink(lockPath).catch(() => undefined)
    throw lockError(lockPath, 'write', error)
  }
  await handle.close()
  return true
}

type Holder = { content: string; host: string | undefined; pid: number | undefined; alive: boolean; age: number }

/** Who holds the lock, as far as it says; `undefined` when there is no lock any more. */
async function readHolder(lockPath: string): Promise<Holder | undefined> {
  const [content, stats] = await Promise.all([readFile(lockPath, 'utf8').catch(() => undefined), stat(lockPath).catch(() => undefined)])
  if (content === undefined || stats === undefined) return undefined
  const [holderHost, pidText] = content.split('\n')
  const pid = Number(pidText)
  // A lock still being written has no pid yet: alive. Another host's pid means nothing here.
  const alive = !Number.isSafeInteger(pid) || pid <= 0 || holderHost !== host || isRunning(pid)
  return { content, host: holderHost, pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined, alive, age: Date.now() - stats.mtimeMs }
}

/**
 * Removes a dead or stale lock, but only the one that was judged: between reading a lock and
 * removing it, another waiter may have removed it and taken a new one, which must not go too.
 * So the remover first takes `<lock>.break` (O_EXCL again), reads the lock once more, and
 * removes it only if it still holds what was judged. A breaker holds that file for
 * microseconds; one left by a crash is removed once its holder is gone or it is older than `stale`.
 * Resolves to whether it is worth trying the lock again at once.
 */
async function breakLock(lockPath: string, judged: string, stale: number): Promise<boolean> {
  const breaker = `${lockPath}.break`
  const token = `${host}\n${process.pid}\n${randomUUID()}\n`
  if (!(await tryCreate(breaker, token))) {
    const holder = await readHolder(breaker)
    if (holder === undefined || holder.alive && holder.age <= stale) return holder === undefined
    await unlink(breaker).catch(() => undefined)
    return true
  }
  try {
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === judged) await unlink(lockPath).catch(() => undefined)
  } finally {
    await unlink(breaker).catch(() => undefined)
  }
  return true
}

/**
 * Whether process `pid` runs on this machine (`EPERM`: it does, as another user).
 *
 * @example
 * isRunning(process.pid) // true
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function lockError(lockPath: string, step: 'create' | 'write', error: unknown): InternalError {
  const code = (error as NodeJS.ErrnoException).code
  return new InternalError(`could not ${step} the lock ${lockPath}: ${code ?? (error instanceof Error ? error.message : String(error))}`, {
    file: lockPath,
    ...(code === 'ENOSPC' ? { hint: 'the disk is full: free space, then retry' } : {}),
    cause: causeOf(error),
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
