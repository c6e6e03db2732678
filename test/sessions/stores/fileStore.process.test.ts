import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
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
