import { randomBytes } from 'node:crypto'
import { readFileSync, readlinkSync, statSync } from 'node:fs'
import { link, open, readFile, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { causeOf, InternalError } from '../../errors.js'

/** How {@link withFileLock} waits. */
export type FileLockOptions = {
  /** Give up after this many ms. Default: 10 000. */
  timeout?: number | undefined
  /**
   * A lock that names no holder (a file left half-made by an older keyleash) is taken over once
   * it is this many ms old. A lock that names its holder is never taken over for its age: only
   * once that holder is gone. Must be below `timeout`. Default: 5 000.
   */
  stale?: number | undefined
}

/** What a task run by {@link withFileLock} gets: a check to make right before each write it commits. */
export type HeldLock = {
  /**
   * Throws (-32603) unless the lock file still holds this holder's token: a lock removed by
   * hand, or taken over while this process was thought gone, must not let a late write land.
   */
  assertHeld(): void
}

/**
 * Runs `task` holding `lockPath`, a lock between processes on one host. The lock file is made
 * whole before it exists: its content (host, pid, the process's start time, a nonce, and the
 * PID namespace and boot its pid belongs to) is written to a temporary file that is then
 * hard-linked to `lockPath`, which the OS grants to one process only, so no lock is ever seen
 * empty. A busy lock is retried every few ms (with jitter, so waiting processes do not retry
 * in step).
 *
 * A live holder keeps its lock however long it takes (a GC pause, a debugger, SIGSTOP, a slow
 * disk, a clock step): age alone never takes a lock. It is taken over, atomically (see
 * {@link breakLock}), only once its holder is gone: its pid no longer runs on this host, runs
 * a process started at another time (the pid was reused), names a process that exited and
 * was not reaped (a zombie), or ran under an earlier boot of this host (every process of which
 * is gone: hosts that share a folder need hostnames of their own). A holder whose pid this
 * process cannot check (on another host, or in another PID namespace of this host, as a
 * container sharing the folder is) is never judged gone. A waiter that outlasts `timeout` is refused with an error naming
 * the holder and what to do. Before each write it commits, the task calls `held.assertHeld()`,
 * so a lock that was taken away (by hand) refuses the write. The lock is removed after the
 * task only if it is still this holder's.
 *
 * A lock that cannot be written (a full disk) is reported, and nothing is left behind.
 *
 * @example
 * await withFileLock('./sessions.jsonl.lock', async (held) => {
 *   held.assertHeld()
 *   await rewrite()
 * })
 */
export async function withFileLock<T>(lockPath: string, task: (held: HeldLock) => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { timeout = 10_000, stale = Math.min(defaultStale, timeout / 2) } = options
  if (!(stale < timeout)) throw new InternalError(`lock options: stale (${stale} ms) must be below timeout (${timeout} ms)`, { file: lockPath })
  const token = ownToken()
  const deadline = Date.now() + timeout
  for (let attempt = 0; !(await tryCreate(lockPath, token)); attempt++) {
    const holder = readHolder(lockPath, stale)
    if (holder === undefined) continue // released in between: try again at once
    if (holder.gone && (await breakLock(lockPath, holder.content, stale))) continue
    if (Date.now() > deadline) throw busyError(lockPath, timeout, holder)
    await sleep(Math.min(2 + attempt, 20) * (0.5 + Math.random()))
  }
  const held: HeldLock = {
    assertHeld() {
      let content: string | undefined
      try {
        content = readFileSync(lockPath, 'utf8')
      } catch {
        content = undefined
      }
      if (content !== token)
        throw new InternalError(`the lock ${lockPath} is no longer this process's: the write was refused`, {
          file: lockPath,
          hint: 'another process took the store over (was the lock file removed by hand?); retry the operation',
        })
    },
  }
  try {
    return await task(held)
  } finally {
    // Only our own: a lock removed by hand may be someone else's now.
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === token) await unlink(lockPath).catch(() => undefined)
  }
}

const host = hostname()

/**
 * When the process `pid` started, in clock ticks since boot (`/proc/<pid>/stat`, field 22), or
 * `undefined` where there is no such file (not Linux, or no such process).
 *
 * @example
 * processStartTime(process.pid) // '3645123'
 */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19]
}

/** The fields of `/proc/<pid>/stat` after the command name (state first), or `undefined`. */
function procStat(pid: number): string[] | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name is in parentheses and may itself hold spaces and parentheses.
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/**
 * Whether process `pid` of this PID namespace is gone: it does not run, it exited and its
 * parent has not reaped it (a zombie keeps its pid, its `/proc` entry and `kill(pid, 0)`, but
 * will never let go), or, given the start time it had, the pid now names another process.
 * `stopped`: it is live but stopped (SIGSTOP, a debugger).
 */
function judgePid(pid: number, started?: string): { gone: boolean; stopped: boolean } {
  const fields = procStat(pid)
  if (fields === undefined) return { gone: !isRunning(pid), stopped: false }
  const [state] = fields
  const exited = state === 'Z' || state === 'X'
  // A lock of an older keyleash has a nonce where the start time is.
  const reused = started !== undefined && /^\d+$/.test(started) && fields[19] !== started
  return { gone: exited || reused, stopped: !exited && !reused && (state === 'T' || state === 't') }
}

/**
 * Where this process's pids mean something: its PID namespace (`pid:[4026531836]`; a container
 * has its own, in which the same pid is another process) and the kernel's boot id (another
 * machine of the same hostname, or this one before a restart, counts pids of its own). Empty
 * where `/proc` does not say (not Linux).
 */
type PidSpace = { namespace: string; boot: string }

let ownSpace: PidSpace | undefined
function pidSpace(): PidSpace {
  ownSpace ??= {
    namespace: readOrEmpty(() => readlinkSync('/proc/self/ns/pid')),
    boot: readOrEmpty(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
  }
  return ownSpace
}

function readOrEmpty(read: () => string): string {
  try {
    return read()
  } catch {
    return ''
  }
}

/**
 * Why pids written in `space` are not this process's to check: they were counted under an
 * earlier boot (their processes are gone), or in another PID namespace (they cannot be
 * checked); `undefined` when they are. A part left empty (by an older keyleash, which wrote
 * none, or where `/proc` did not say) is taken as this process's, as it always was.
 */
function otherSpace(space: Partial<PidSpace>): 'boot' | 'namespace' | undefined {
  const own = pidSpace()
  // Another boot first: namespaces of two kernels are not comparable.
  if (space.boot && space.boot !== own.boot) return 'boot'
  if (space.namespace && space.namespace !== own.namespace) return 'namespace'
  return undefined
}

let ownStart: string | undefined
function ownToken(): string {
  ownStart ??= processStartTime(process.pid) ?? ''
  const { namespace, boot } = pidSpace()
  // Older keyleash reads the first three lines only, so the new ones go last.
  return `${host}\n${process.pid}\n${ownStart}\n${randomBytes(8).toString('hex')}\n${namespace}\n${boot}\n`
}

/**
 * A name for a temporary file beside `path`, `<path>.<pid>.<hex>.<namespace>-<boot>.tmp`, that
 * tells {@link isOrphanedTemporary} whose it is. Where `/proc` does not say, the part after the
 * hex is left out, the form older keyleash used.
 *
 * @example
 * temporaryBeside('./sessions.jsonl') // './sessions.jsonl.4242.9f3a1b2c.4026531836-c0c163cb40f1.tmp'
 */
export function temporaryBeside(path: string): string {
  const tag = ownSpaceTag()
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}${tag === undefined ? '' : `.${tag}`}.tmp`
}

/**
 * A short form of a {@link PidSpace} to fit a file name: the namespace's number and the first 12
 * hex digits of the boot id. Not a run of 8 hex digits, so older keyleash, which judges
 * `.<pid>.<8 hex>.tmp` by the pid alone, leaves such a file alone.
 */
function spaceTag({ namespace, boot }: PidSpace): string | undefined {
  const number = /^pid:\[(\d+)\]$/.exec(namespace)?.[1]
  const bootHex = boot.replaceAll('-', '').slice(0, 12)
  return number === undefined || !/^[0-9a-f]{12}$/.test(bootHex) ? undefined : `${number}-${bootHex}`
}

let ownTag: { tag: string | undefined } | undefined
/** {@link spaceTag} of this process's own space, made once. */
const ownSpaceTag = () => (ownTag ??= { tag: spaceTag(pidSpace()) }).tag

/**
 * Whether `name` is a temporary file ({@link temporaryBeside}'s) whose writer is gone, so that it
 * will never be renamed into place: its pid no longer runs, or is a zombie, or it was written
 * under an earlier boot. One written in another PID namespace (a container sharing the folder)
 * is never judged so: the same pid here says nothing of its writer. One of the older form (no
 * namespace) is judged by pid.
 *
 * @example
 * isOrphanedTemporary('sessions.jsonl.4242.9f3a1b2c.4026531836-c0c163cb40f1.tmp') // false while 4242 runs
 */
export function isOrphanedTemporary(name: string): boolean {
  const match = /\.(\d+)\.[0-9a-f]{8}(?:\.(\d+-[0-9a-f]{12}))?\.tmp$/.exec(name)
  if (match === null) return false
  const [, pid, tag] = match
  const [namespace, boot] = (tag ?? '').split('-')
  const [ownNamespace, ownBoot] = (ownSpaceTag() ?? '').split('-')
  // Of an earlier boot: its writer went with it. Of another namespace: its pid says nothing here.
  if (tag !== undefined && boot !== ownBoot) return true
  if (tag !== undefined && namespace !== ownNamespace) return false
  return judgePid(Number(pid)).gone
}

/** Makes the lock holding `token`, whole, or answers `false` when it exists. A lock that cannot be made is reported. */
async function tryCreate(lockPath: string, token: string): Promise<boolean> {
  const temporary = temporaryBeside(lockPath)
  try {
    const handle = await open(temporary, 'wx', 0o600)
    try {
      await handle.writeFile(token)
    } finally {
      await handle.close()
    }
    await link(temporary, lockPath)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw lockError(lockPath, error)
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

type Holder = {
  content: string
  host: string | undefined
  pid: number | undefined
  gone: boolean
  stopped: boolean
  /** Why this process cannot check the holder's pid, when it cannot. */
  unchecked?: 'host' | 'namespace' | undefined
}

/**
 * Who holds the lock, as far as it says, and whether that holder is gone (see
 * {@link withFileLock}); `undefined` when there is no lock any more. Reads only (a lock file
 * is a few dozen bytes, and `/proc`), so a reader of a store may ask it too.
 */
function readHolder(lockPath: string, stale: number): Holder | undefined {
  let content: string
  let modified: number
  try {
    content = readFileSync(lockPath, 'utf8')
    modified = statSync(lockPath).mtimeMs
  } catch {
    return undefined
  }
  const [holderHost, pidText, started, , namespace, boot] = content.split('\n')
  const pid = /^\d+$/.test(pidText ?? '') ? Number(pidText) : undefined
  if (pid === undefined || pid === 0)
    // No holder named: only an older keyleash left such a file, half-written; its age is all there is to go by.
    return { content, host: holderHost, pid: undefined, gone: Date.now() - modified > stale, stopped: false }
  // Another host's pid means nothing here, nor does another namespace's (a container sharing
  // the folder and the hostname): such a holder is never judged gone from here. One of an
  // earlier boot went with it: a lock a power cut left must not need removing by hand.
  const space = holderHost !== host ? 'host' : otherSpace({ namespace, boot })
  if (space === 'boot') return { content, host: holderHost, pid, gone: true, stopped: false }
  if (space !== undefined) return { content, host: holderHost, pid, gone: false, stopped: false, unchecked: space }
  return { content, host: holderHost, pid, ...judgePid(pid, started) }
}

/**
 * Whether no live process holds `lockPath`: there is no lock, or its holder is gone (see
 * {@link withFileLock}). Reads only: a store's reader asks it to tell a record cut off by a
 * crash from one still being written.
 *
 * @example
 * if (lockIsFree('./sessions.jsonl.lock')) reportTornRecord()
 */
export function lockIsFree(lockPath: string): boolean {
  return readHolder(lockPath, defaultStale)?.gone ?? true
}

const defaultStale = 5_000

/**
 * Removes a lock whose holder is gone, but only the one that was judged: between reading a
 * lock and removing it, another waiter may have removed it and taken a new one, which must not
 * go too. So the remover first takes `<lock>.break` (made whole, as the lock is), reads the
 * lock once more, and removes it only if it still holds what was judged. A breaker holds that
 * file for microseconds; one left by a breaker that is gone is removed the same way.
 * Resolves to whether it is worth trying the lock again at once.
 */
async function breakLock(lockPath: string, judged: string, stale: number): Promise<boolean> {
  const breaker = `${lockPath}.break`
  if (!(await tryCreate(breaker, ownToken()))) {
    const holder = readHolder(breaker, stale)
    if (holder === undefined) return true
    if (!holder.gone) return false
    if ((await readFile(breaker, 'utf8').catch(() => undefined)) === holder.content) await unlink(breaker).catch(() => undefined)
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

function busyError(lockPath: string, timeout: number, holder: Holder): InternalError {
  const { pid = '?', unchecked } = holder
  const [who, hint] =
    unchecked === 'host'
      ? [`process ${pid} on ${holder.host}, which this host cannot check`, `if ${holder.host} is gone, remove ${lockPath}; a live holder is never taken over`]
      : unchecked === 'namespace'
        ? [
            `process ${pid} of another PID namespace (another container), which this process cannot check`,
            `if no process of the other containers sharing this folder holds it, remove ${lockPath}; a live holder is never taken over`,
          ]
        : holder.stopped
          ? [`process ${pid}, stopped (SIGSTOP or a debugger)`, `resume process ${pid} (kill -CONT ${pid}) or stop it; a live holder keeps its lock`]
          : [`process ${pid}, still running`, 'another process holds the store and has not let go; if it hangs, stop it']
  return new InternalError(`the lock ${lockPath} stayed taken for ${timeout} ms (by ${who})`, { file: lockPath, hint })
}

function lockError(lockPath: string, error: unknown): InternalError {
  const code = (error as NodeJS.ErrnoException).code
  return new InternalError(`could not create the lock ${lockPath}: ${code ?? (error instanceof Error ? error.message : String(error))}`, {
    file: lockPath,
    hint: code === 'ENOSPC' ? 'the disk is full: free space, then retry' : 'check that the folder exists and this process may write to it',
    cause: causeOf(error),
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
