import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { isRunning, withFileLock } from '../../../src/sessions/stores/fileLock.js'
import { rejectionOf } from '../../utils/rejection.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-lock-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshLock = () => join(root, `${n++}.lock`)
const holderScript = fileURLToPath(new URL('./fileLockHolder.ts', import.meta.url))

/** Runs `tasks` concurrently on one lock and answers the most that were ever inside at once. */
async function mostInside(lockPath: string, tasks: number, options = {}): Promise<number> {
  let inside = 0
  let most = 0
  await Promise.all(
    Array.from({ length: tasks }, () =>
      withFileLock(
        lockPath,
        async () => {
          most = Math.max(most, ++inside)
          await new Promise((resolve) => setTimeout(resolve, 2))
          inside--
        },
        options,
      ),
    ),
  )
  return most
}

describe('withFileLock', () => {
  test('default: tasks on one lock run one at a time, and the lock is gone after', async () => {
    const lockPath = freshLock()
    expect(await mostInside(lockPath, 20)).toBe(1)
    expect(existsSync(lockPath)).toBe(false)
  })

  test('behavior: a lock left by a process killed with SIGKILL is taken over at once, not after the stale age', async () => {
    const lockPath = freshLock()
    const child = spawn(process.execPath, ['--import', 'tsx', holderScript, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve())
      child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before it held the lock`)))
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill('SIGKILL')
    await exited
    expect(readFileSync(lockPath, 'utf8')).toContain(`\n${child.pid}\n`)
    const killedAt = Date.now()
    await withFileLock(lockPath, async () => undefined, { timeout: 20_000, stale: 10_000 })
    expect(Date.now() - killedAt).toBeLessThan(10_000)
  }, 30_000)

  /** Starts fileLockHolder.ts on `lockPath` and resolves once it holds the lock. */
  async function startHolder(lockPath: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', holderScript, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve())
      child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before it held the lock`)))
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    return { child, kill: async () => (child.kill('SIGKILL'), await exited) }
  }

  test('behavior: a holder stopped with SIGSTOP keeps its lock past any age: a waiter gives up coded, naming it stopped; once it is gone, the lock is taken at once', async () => {
    const lockPath = freshLock()
    const { child, kill } = await startHolder(lockPath)
    const held = readFileSync(lockPath, 'utf8')
    try {
      child.kill('SIGSTOP')
      const error = await rejectionOf(withFileLock(lockPath, async () => 'ran', { timeout: 1_500, stale: 200 }))
      expect(error.code).toBe(-32603)
      expect(error.message).toBe(`the lock ${lockPath} stayed taken for 1500 ms (by process ${child.pid}, stopped (SIGSTOP or a debugger))`)
      expect(error.data.hint).toBe(`resume process ${child.pid} (kill -CONT ${child.pid}) or stop it; a live holder keeps its lock`)
      expect(readFileSync(lockPath, 'utf8')).toBe(held)
      child.kill('SIGCONT')
    } finally {
      await kill()
    }
    expect(await withFileLock(lockPath, async () => 'ran', { timeout: 1_500, stale: 200 })).toBe('ran')
  }, 30_000)

  test('behavior: a clock step (the lock an hour old by the clock) does not take a running holder\'s lock', async () => {
    const lockPath = freshLock()
    const { kill } = await startHolder(lockPath)
    try {
      const held = readFileSync(lockPath, 'utf8')
      const hourAgo = new Date(Date.now() - 3_600_000)
      utimesSync(lockPath, hourAgo, hourAgo)
      await expect(withFileLock(lockPath, async () => 'ran', { timeout: 1_000, stale: 200 })).rejects.toMatchObject({ code: -32603 })
      expect(readFileSync(lockPath, 'utf8')).toBe(held)
    } finally {
      await kill()
    }
  }, 30_000)

  test('error: a holder whose lock was removed by hand is refused its next write (assertHeld), coded', async () => {
    const lockPath = freshLock()
    const error = await rejectionOf(
      withFileLock(lockPath, async (held) => {
        held.assertHeld()
        rmSync(lockPath)
        held.assertHeld()
      }),
    )
    expect(error).toMatchObject({ code: -32603, message: `the lock ${lockPath} is no longer this process's: the write was refused` })
  })

  test('behavior: a lock whose pid now names another process (same pid, another start time) is taken over by exactly one of many waiters (atomic takeover)', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const lockPath = freshLock()
      // This process runs, but did not start at tick 1: the pid was reused, the holder is gone.
      writeFileSync(lockPath, `${hostname()}\n${process.pid}\n1\nplanted\n`)
      expect(await mostInside(lockPath, 20, { timeout: 5_000, stale: 1_000 })).toBe(1)
    }
  })

  test('behavior: a holder that was taken over does not remove the new holder\'s lock', async () => {
    const lockPath = freshLock()
    const other = `${hostname()}\n${process.pid}\nsomeone-else\n`
    await withFileLock(lockPath, async () => {
      writeFileSync(lockPath, other)
    })
    expect(readFileSync(lockPath, 'utf8')).toBe(other)
  })

  test('error: a live holder that keeps its lock fresh past the timeout is reported with its pid; its lock stays', async () => {
    const lockPath = freshLock()
    writeFileSync(lockPath, `${hostname()}\n${process.pid}\nbusy\n`)
    const touch = setInterval(() => utimesSync(lockPath, new Date(), new Date()), 20)
    try {
      const error = await rejectionOf(withFileLock(lockPath, async () => undefined, { timeout: 300, stale: 250 }))
      expect(error.code).toBe(-32603)
      expect(error.message).toBe(`the lock ${lockPath} stayed taken for 300 ms (by process ${process.pid}, still running)`)
    } finally {
      clearInterval(touch)
    }
    expect(existsSync(lockPath)).toBe(true)
  })

  test('error: stale must be below the timeout, so that a waiter outlives a hung holder', async () => {
    const error = await rejectionOf(withFileLock(freshLock(), async () => undefined, { timeout: 1_000, stale: 1_000 }))
    expect(error.code).toBe(-32603)
    expect(error.message).toBe('lock options: stale (1000 ms) must be below timeout (1000 ms)')
  })
})

// Where this process counts pids, as a lock token names it: its PID namespace and the kernel's boot.
const ownNamespace = readlinkSync('/proc/self/ns/pid')
const ownBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
/** A lock token as keyleash writes one, for a holder `pid` started at tick `started` of `namespace` and `boot`. */
const token = (pid: number, started: string, namespace = ownNamespace, boot = ownBoot) => `${hostname()}\n${pid}\n${started}\nplanted\n${namespace}\n${boot}\n`
// 2^22 + 1 is above Linux's pid_max: no process has it.
const deadPid = 4194305

describe('withFileLock across PID namespaces', () => {
  test('behavior: a lock of this PID namespace and boot whose holder is gone is taken over at once, as before', async () => {
    const lockPath = freshLock()
    writeFileSync(lockPath, token(deadPid, '1'))
    const startedAt = Date.now()
    expect(await withFileLock(lockPath, async () => 'ran', { timeout: 20_000, stale: 10_000 })).toBe('ran')
    expect(Date.now() - startedAt).toBeLessThan(10_000)
  })

  test('behavior: a lock of another PID namespace of this host (a container sharing the folder) is never taken over for what its pid names here: a waiter gives up coded, saying it cannot check', async () => {
    // Not running here, or running here as a process started at another time: both say nothing of a holder in another namespace.
    for (const [pid, started] of [
      [deadPid, '1'],
      [process.pid, '1'],
    ] as const) {
      const lockPath = freshLock()
      const held = token(pid, started, 'pid:[4026599999]')
      writeFileSync(lockPath, held)
      const error = await rejectionOf(withFileLock(lockPath, async () => 'ran', { timeout: 500, stale: 100 }))
      expect(error.code).toBe(-32603)
      expect(error.message).toBe(
        `the lock ${lockPath} stayed taken for 500 ms (by process ${pid} of another PID namespace (another container), which this process cannot check)`,
      )
      expect(error.data.hint).toBe(`if no process of the other containers sharing this folder holds it, remove ${lockPath}; a live holder is never taken over`)
      expect(readFileSync(lockPath, 'utf8')).toBe(held)
    }
  })

  test('behavior: a lock of an earlier boot of this host (a power cut mid-write) is taken over at once: every process of that boot is gone', async () => {
    const lockPath = freshLock()
    // A live pid here, even this very process: under another boot it named another process.
    writeFileSync(lockPath, token(process.pid, '1', ownNamespace, '00000000-0000-4000-8000-000000000000'))
    const startedAt = Date.now()
    expect(await withFileLock(lockPath, async () => 'ran', { timeout: 20_000, stale: 10_000 })).toBe('ran')
    expect(Date.now() - startedAt).toBeLessThan(10_000)
  })

  test('behavior: a holder that died but was not reaped (a zombie: its pid answers kill(pid, 0), /proc keeps its start time) is gone: a waiter takes its lock at once', async () => {
    const lockPath = freshLock()
    // `sleep` becomes the holder's parent and never reaps it.
    const parent = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${holderScript}" "${lockPath}" & echo "$!"; exec sleep 60`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const holder = await new Promise<number>((resolve, reject) => {
        let out = ''
        parent.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const match = /^(\d+)\n[\s\S]*held\n/.exec(out)
          if (match) resolve(Number(match[1]))
        })
        parent.on('exit', (code) => reject(new Error(`the holder's parent exited (${code}) before the lock was held`)))
      })
      expect(readFileSync(lockPath, 'utf8')).toContain(`\n${holder}\n`)
      process.kill(holder, 'SIGKILL')
      const state = () => readFileSync(`/proc/${holder}/stat`, 'utf8').split(') ')[1]?.[0]
      while (state() !== 'Z') await new Promise((resolve) => setTimeout(resolve, 10))
      expect(isRunning(holder)).toBe(true)
      expect(await withFileLock(lockPath, async () => 'ran', { timeout: 3_000, stale: 1_000 })).toBe('ran')
      expect(state()).toBe('Z')
    } finally {
      parent.kill('SIGKILL')
    }
  }, 30_000)
})

// Another PID namespace, for real: a holder started by `unshare --pid` (as a container's
// processes are) is pid 1 there, and pid 1 here is another, live process. Only root may.
const canUnshare = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0

describe.runIf(canUnshare || process.env.CI === 'true')('withFileLock with a holder in another PID namespace', () => {
  test('behavior: a live holder in another PID namespace keeps its lock, though its pid here names another process started at another time', async () => {
    const lockPath = freshLock()
    const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', holderScript, lockPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve())
        child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before it held the lock`)))
      })
      const held = readFileSync(lockPath, 'utf8')
      const [, pid, started, , namespace] = held.split('\n')
      expect(namespace).not.toBe(ownNamespace)
      // What fooled the pid check: pid 1 runs here too, a process started at another time.
      expect(isRunning(Number(pid))).toBe(true)
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]).not.toBe(started)
      const error = await rejectionOf(withFileLock(lockPath, async () => 'ran', { timeout: 1_000, stale: 200 }))
      expect(error.message).toBe(
        `the lock ${lockPath} stayed taken for 1000 ms (by process ${pid} of another PID namespace (another container), which this process cannot check)`,
      )
      expect(readFileSync(lockPath, 'utf8')).toBe(held)
    } finally {
      child.kill('SIGKILL')
      await exited
    }
  }, 30_000)
})

// A full disk, for real: a tiny tmpfs, which only root may mount. CI runs as root.
const fullDisk = (() => {
  const dir = join(root, 'full')
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  // Lazy, so that a handle a failing test left open cannot make cleanup fail too.
  afterAll(() => execFileSync('umount', ['-l', dir]))
  writeFileSync(join(dir, 'filler'), Buffer.alloc(4096))
  return dir
})()

describe.runIf(fullDisk !== undefined || process.env.CI === 'true')('withFileLock on a full disk', () => {
  test('error: a lock that cannot be written is closed, removed, and reported as ENOSPC', async () => {
    const lockPath = join(fullDisk as string, 'store.lock')
    const error = await rejectionOf(withFileLock(lockPath, async () => 'ran'))
    expect(error).toMatchObject({ code: -32603, data: { cause: { code: 'ENOSPC' } } })
    expect(existsSync(lockPath)).toBe(false)
  })
})
