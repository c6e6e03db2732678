import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { encodeSession } from '../../../src/sessions/stores/serialize.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-processes-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const worker = fileURLToPath(new URL('./fileStoreWorker.ts', import.meta.url))
const writer = fileURLToPath(new URL('./fileStoreWriter.ts', import.meta.url))
const run = promisify(execFile)

test.each(['store.jsonl', 'folder/'])('behavior: two processes on one file store (%s) reserve a call limit of 9 exactly, 60 attempts each', async (name) => {
  const path = join(root, name)
  await fileStore(path, { plaintextKeys: true }).put(sessionFixture())
  const results = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', worker, path, '60', '9'])))
  const reserved = results.map(({ stdout }) => Number(stdout))
  expect(reserved[0]! + reserved[1]!).toBe(9)
  expect((await fileStore(path, { plaintextKeys: true }).get('0xc0ffee'))?.usage.calls).toBe(9)
}, 30_000)

test('behavior: two processes that each rewrite the log every few writes (compactAbove: 10) lose no update of 2 × 150', async () => {
  const path = join(root, 'compacting.jsonl')
  await fileStore(path, { plaintextKeys: true }).put(sessionFixture())
  const results = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', worker, path, '150', '1000', '10'])))
  expect(results.map(({ stdout }) => Number(stdout))).toStrictEqual([150, 150])
  expect((await fileStore(path, { plaintextKeys: true }).get('0xc0ffee'))?.usage.calls).toBe(300)
  // 301 records were written; the file holds at most compactAbove of them (and its header): it was rewritten.
  expect(readFileSync(path, 'utf8').split('\n').length).toBeLessThanOrEqual(12)
}, 60_000)

/**
 * Starts a writer on `path`, SIGKILLs it once it has acknowledged `after` writes (it is then
 * in the middle of the next one), and resolves to the last count it acknowledged.
 */
async function killWriter(path: string, compactAbove: number, after: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path, String(compactAbove)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  let acknowledged = 0
  let seen = 0
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const counts = output.split('\n').slice(0, -1)
      if (counts.length === seen) return
      seen = counts.length
      acknowledged = Number(counts.at(-1))
      if (seen >= after) {
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.on('exit', (code) => reject(new Error(`the writer exited (${code}) before it was killed`)))
  })
  await exited
  return acknowledged
}

test.each([
  ['appending', 1_000_000],
  ['rewriting the log (compaction after every other write)', 0],
])('behavior: a process SIGKILLed while %s leaves a store that reopens intact, with every acknowledged write, at most the torn last one skipped and reported', async (_, compactAbove) => {
  const path = join(root, `killed-${compactAbove}.jsonl`)
  await fileStore(path, { plaintextKeys: true }).put(sessionFixture())
  let floor = 0
  for (let trial = 0; trial < 4; trial++) {
    const acknowledged = await killWriter(path, compactAbove, 3 + trial * 9)
    const errors: unknown[] = []
    const store = fileStore(path, { plaintextKeys: true, onError: (error) => errors.push(error) })
    const calls = (await store.get('0xc0ffee'))?.usage.calls
    // Every acknowledged write is there; the one in flight may be too.
    expect(calls === acknowledged || calls === acknowledged + 1).toBe(true)
    expect(calls).toBeGreaterThan(floor)
    expect(errors.length).toBeLessThanOrEqual(1)
    expect((await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } })))?.usage.calls).toBe(calls! + 1)
    floor = calls! + 1
  }
  expect((await fileStore(path, { plaintextKeys: true }).get('0xc0ffee'))?.usage.calls).toBe(floor)
}, 120_000)

/** Starts a worker (fileStoreWorker.ts) on `path`; resolves, once it exits, to how many reservations it got. */
function startWorker(path: string, attempts: number, limit: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, path, String(attempts), String(limit)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const reserved = new Promise<number>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(Number(output)) : reject(new Error(`the worker exited with ${code}`)))))
  return { child, reserved }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('behavior: a holder paused past the old takeover age (SIGSTOP, 6 s, twice) and clock steps (the lock aged an hour, every few ms) never overspend: two processes reserve a limit of 400 exactly', async () => {
  const path = join(root, 'paused.jsonl')
  await fileStore(path, { plaintextKeys: true }).put(sessionFixture())
  const [paused, other] = [startWorker(path, 300, 400), startWorker(path, 300, 400)]
  // A clock step, emulated: by the clock, the lock looks an hour old whoever holds it.
  let stepping = true
  const steps = (async () => {
    while (stepping) {
      const hourAgo = new Date(Date.now() - 3_600_000)
      try {
        utimesSync(`${path}.lock`, hourAgo, hourAgo)
      } catch {
        // No lock at this instant.
      }
      await pause(3)
    }
  })()
  try {
    for (let round = 0; round < 2; round++) {
      await pause(400)
      paused.child.kill('SIGSTOP')
      await pause(6_000)
      paused.child.kill('SIGCONT')
    }
    const reserved = await Promise.all([paused.reserved, other.reserved])
    expect(reserved[0]! + reserved[1]!).toBe(400)
  } finally {
    stepping = false
    await steps
    paused.child.kill('SIGKILL')
    other.child.kill('SIGKILL')
  }
  expect((await fileStore(path, { plaintextKeys: true }).get('0xc0ffee'))?.usage.calls).toBe(400)
}, 120_000)

/**
 * A log of `count` sessions (plus 0xc0ffee), each written three times, so that the next write
 * rewrites it; resolves to its header.
 */
function dueLog(path: string, count: number): string {
  const header = '#keyleash log 2 0123456789abcdef\n'
  const lines = [0xc0ffee, ...Array.from({ length: count }, (_, i) => i + 1)].map((n) => {
    const id = `0x${n.toString(16)}`
    const value = encodeSession(sessionFixture({ id }))
    return `${JSON.stringify(['keyleash', 's', id])}\t${value}\t${value.length}\n`
  })
  writeFileSync(path, header + lines.join('').repeat(3), { mode: 0o600 })
  return header.trim()
}

/**
 * Starts a writer (fileStoreWriter.ts) on the due log at `path` and SIGSTOPs it in the middle
 * of its rewrite: once its temporary file is there, and while the lock is not its own. Tries
 * again (a new writer on a new log) when it was stopped too late. Resolves to the stopped
 * writer and what it acknowledged so far (nothing: its first write is the one rewriting).
 */
async function stopMidRewrite(name: string) {
  for (let trial = 0; trial < 8; trial++) {
    const path = join(root, `${name}-${trial}.jsonl`)
    const header = dueLog(path, 30_000)
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path, '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const acknowledged: number[] = []
    child.stdout.on('data', (chunk: Buffer) => acknowledged.push(...chunk.toString().trim().split('\n').map(Number)))
    const exited = new Promise((resolve) => child.on('exit', resolve))
    const rewrite = `${basename(path)}.${child.pid}.`
    let stopped = false
    while (!stopped && child.exitCode === null && acknowledged.length === 0) {
      if (readdirSync(root).some((file) => file.startsWith(rewrite))) {
        child.kill('SIGSTOP')
        stopped = true
      } else await pause(1)
    }
    const lockedBy = (() => {
      try {
        return readFileSync(`${path}.lock`, 'utf8').split('\n')[1]
      } catch {
        return undefined
      }
    })()
    if (stopped && lockedBy !== String(child.pid) && acknowledged.length === 0) return { path, header, child, exited, acknowledged, rewrite }
    child.kill('SIGKILL')
    await exited
  }
  throw new Error('the writer was never caught rewriting without its lock in 8 trials: does the rewrite hold the lock?')
}

test('behavior: a rewrite of a large log (30,000 sessions) holds no lock while it writes: with the rewriting process stopped there, another process writes 20 sends; resumed, it keeps them all', async () => {
  const { path, header, child, exited, acknowledged } = await stopMidRewrite('aside')
  try {
    // The other process's sends are not blocked by the rewrite (the lock's wait would time out after 10 s).
    // It rewrites nothing itself (compactAbove: 10⁹), so the rewrite resumed is the one that carries its sends over.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', worker, path, '20', '1000000', '1000000000'])
    expect(Number(stdout)).toBe(20)
    child.kill('SIGCONT')
    while (acknowledged.length < 3 && child.exitCode === null) await pause(5)
  } finally {
    child.kill('SIGKILL')
    await exited
  }
  const errors: unknown[] = []
  const store = fileStore(path, { plaintextKeys: true, onError: (error) => errors.push(error) })
  const calls = (await store.get('0xc0ffee'))?.usage.calls
  // The writer's counts include the other process's 20 (its first send came before them).
  expect(acknowledged[0]).toBe(1)
  expect(acknowledged.at(-1)).toBeGreaterThanOrEqual(23)
  expect(calls === acknowledged.at(-1) || calls === acknowledged.at(-1)! + 1).toBe(true)
  // Rewritten: a new generation, a third of the size, every session kept.
  expect(readFileSync(path, 'utf8').slice(0, header.length)).not.toBe(header)
  expect(errors).toStrictEqual([])
  expect(await store.list()).toHaveLength(30_001)
}, 120_000)

test('behavior: a process SIGKILLed in the middle of a rewrite that holds no lock loses no acknowledged write of another process; its temporary file goes at the next write', async () => {
  const { path, header, child, exited, rewrite } = await stopMidRewrite('killed-aside')
  const { stdout } = await run(process.execPath, ['--import', 'tsx', worker, path, '20', '1000000', '1000000000'])
  expect(Number(stdout)).toBe(20)
  child.kill('SIGKILL')
  await exited
  expect(readdirSync(root).filter((file) => file.startsWith(rewrite))).toHaveLength(1)
  const errors: unknown[] = []
  const store = fileStore(path, { plaintextKeys: true, onError: (error) => errors.push(error) })
  // The killed writer's first send was on disk (its rewrite came after), unacknowledged; the other's 20 were acknowledged.
  expect((await store.get('0xc0ffee'))?.usage.calls).toBe(21)
  expect(readFileSync(path, 'utf8').slice(0, header.length)).toBe(header)
  expect((await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } })))?.usage.calls).toBe(22)
  expect(readdirSync(root).filter((file) => file.startsWith(rewrite))).toStrictEqual([])
  expect(errors).toStrictEqual([])
  expect(await store.list()).toHaveLength(30_001)
}, 120_000)
