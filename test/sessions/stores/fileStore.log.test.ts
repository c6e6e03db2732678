import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { fileStore, type FileStoreOptions } from '../../../src/sessions/stores/fileStore.js'
import { encodeSession } from '../../../src/sessions/stores/serialize.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-log-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let made = 0
const fresh = () => join(root, `log-${++made}.jsonl`)

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1)
}

function open(path: string, options: FileStoreOptions = {}) {
  const errors: unknown[] = []
  return { store: fileStore(path, { plaintextKeys: true, onError: (error) => errors.push(error), ...options }), errors }
}

const addCall = (s: ReturnType<typeof sessionFixture>) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } })

describe('fileStore (one file): the log', () => {
  test('behavior: a write appends one line to the same file (no rewrite), framed with its length, after a header', async () => {
    const path = fresh()
    const { store } = open(path)
    await store.put(sessionFixture())
    const { ino } = statSync(path)
    const before = readFileSync(path, 'utf8')
    await store.update('0xc0ffee', addCall)
    const after = readFileSync(path, 'utf8')
    expect(statSync(path).ino).toBe(ino)
    expect(after.startsWith(before)).toBe(true)
    const added = after.slice(before.length)
    expect(added.split('\n')).toHaveLength(2)
    const value = encodeSession(addCall(sessionFixture()))
    expect(added).toBe(`["keyleash","s","0xc0ffee"]\t${value}\t${value.length}\n`)
    expect(lines(path)[0]).toMatch(/^#keyleash log 2 [0-9a-f]{16}$/)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  test('rule: an id with quotes, backslashes, a tab and a newline is filed in one line, and listed and read back as it was', async () => {
    const path = fresh()
    const odd = '0x"a\\b\tc\nd\\'
    await open(path).store.put(sessionFixture({ id: odd }))
    await open(path).store.put(sessionFixture({ id: '0x02' }))
    expect(lines(path)).toHaveLength(3)
    const { store } = open(path)
    expect((await store.list()).map((s) => s.id)).toStrictEqual([odd, '0x02'])
    expect((await store.get(odd))?.id).toBe(odd)
  })

  test("behavior: another instance's appends are seen by a store that already read the file, and a delete is a record too", async () => {
    const path = fresh()
    const [first, second] = [open(path).store, open(path).store]
    await first.put(sessionFixture({ id: '0x01' }))
    expect((await second.list()).map((s) => s.id)).toStrictEqual(['0x01'])
    await first.put(sessionFixture({ id: '0x02' }))
    await first.update('0x01', addCall)
    expect((await second.get('0x01'))?.usage.calls).toBe(1)
    await second.delete('0x02')
    expect(await first.get('0x02')).toBeUndefined()
    expect(lines(path).at(-1)).toBe('["keyleash","s","0x02"]\t\t0')
  })

  test('behavior: past compactAbove records and twice the live ones, the log is rewritten to its live records; stores that read the old file follow', async () => {
    const path = fresh()
    const { store } = open(path, { compactAbove: 20 })
    const watcher = open(path).store
    await store.put(sessionFixture({ id: '0x01' }))
    await store.put(sessionFixture({ id: '0x02' }))
    expect(await watcher.list()).toHaveLength(2)
    const [header] = lines(path)
    for (let i = 0; i < 60; i++) await store.update(i % 2 ? '0x01' : '0x02', addCall)
    // A new generation (the inode number may come back: the file system reuses freed ones).
    expect(lines(path)[0]).not.toBe(header)
    // At most compactAbove records (plus the header) are ever left in the file.
    expect(lines(path).length).toBeLessThanOrEqual(21)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(root).filter((name) => name.includes('.tmp') || name.endsWith('.lock'))).toStrictEqual([])
    expect((await watcher.get('0x01'))?.usage.calls).toBe(30)
    expect((await watcher.get('0x02'))?.usage.calls).toBe(30)
    await watcher.update('0x01', addCall)
    expect((await open(path).store.get('0x01'))?.usage.calls).toBe(31)
  })

  test('behavior: a torn final record (a crash mid-append) is skipped and reported once; the state before it stands, and writes go on', async () => {
    const path = fresh()
    const { store, errors } = open(path)
    await store.put(sessionFixture())
    await store.update('0xc0ffee', addCall)
    const value = encodeSession({ ...sessionFixture(), status: 'revoked' })
    appendFileSync(path, `["keyleash","s","0xc0ffee"]\t${value}\t${value.length}`.slice(0, 120))
    const reopened = open(path)
    expect(await reopened.store.get('0xc0ffee')).toStrictEqual(addCall(sessionFixture()))
    expect(reopened.errors).toHaveLength(1)
    expect(reopened.errors[0]).toMatchObject({ code: -32603, data: { entry: expect.stringMatching(/^record at byte \d+$/) } })
    expect((reopened.errors[0] as Error).message).toMatch(/: skipped a torn record at byte \d+: a write was cut off \(a crash mid-append\); the state before it stands$/)
    expect((await store.update('0xc0ffee', addCall))?.usage.calls).toBe(2)
    expect((await open(path).store.get('0xc0ffee'))?.usage.calls).toBe(2)
    expect(errors).toHaveLength(1) // each store that meets the tear reports it, once: this one when its write sealed it
    expect(readFileSync(path, 'utf8')).toContain(`${value.slice(0, 60)}`) // kept, for recovery
  })

  test("behavior: a reader that read a write whose flush then failed (cut off again) reads afresh once the file grows past it with other bytes: it never misses the next acknowledged write", async () => {
    const path = fresh()
    const writer = open(path).store
    const reader = open(path).store
    await writer.put(sessionFixture())
    expect((await reader.get('0xc0ffee'))?.usage.calls).toBe(0)
    // A write whose flush failed: appended, read by the reader, then cut off again (appendText's rollback).
    const before = statSync(path).size
    const phantom = encodeSession(sessionFixture({ id: '0x0bad' }))
    appendFileSync(path, `["keyleash","s","0x0bad"]\t${phantom}\t${phantom.length}\n`)
    expect((await reader.get('0x0bad'))?.id).toBe('0x0bad')
    truncateSync(path, before)
    // The next write is longer than the one cut off, so the file grows past where the reader stopped.
    await writer.update('0xc0ffee', (s) => ({ ...addCall(s), walletData: { note: 'x'.repeat(200) } }))
    expect((await reader.get('0xc0ffee'))?.usage.calls).toBe(1)
    expect(await reader.get('0x0bad')).toBeUndefined()
  })

  test('error: compactAbove must be a whole number ≥ 0', () => {
    expect(() => fileStore(fresh(), { plaintextKeys: true, compactAbove: -1 })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: compactAbove: must be a whole number ≥ 0]`)
    expect(() => fileStore(fresh(), { plaintextKeys: true, compactAbove: 1.5 })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: compactAbove: must be a whole number ≥ 0]`)
  })

  test('behavior: a file of the first format (lines without a length, no header) is read, and rewritten as a log by the first write', async () => {
    const path = fresh()
    writeFileSync(path, ['0x01', '0x02'].map((id) => `${JSON.stringify(['keyleash', 's', id])}\t${encodeSession(sessionFixture({ id }))}\n`).join(''), { mode: 0o600 })
    const { store, errors } = open(path)
    expect((await store.list()).map((s) => s.id)).toStrictEqual(['0x01', '0x02'])
    await store.update('0x02', addCall)
    expect(lines(path)[0]).toMatch(/^#keyleash log 2 /)
    expect((await open(path).store.list()).map((s) => [s.id, s.usage.calls])).toStrictEqual([
      ['0x01', 0],
      ['0x02', 1],
    ])
    expect(errors).toStrictEqual([])
  })

  test('behavior: 10,000 sessions, each written twice: reads and writes see them all, the first write past twice the live records compacts, and every one is kept', async () => {
    const path = fresh()
    const ids = Array.from({ length: 10_000 }, (_, i) => `0x${i.toString(16).padStart(4, '0')}`)
    const record = (id: string, calls: number) => {
      const value = encodeSession(sessionFixture({ id, usage: { calls, native: 0n, spent: {} } }))
      return `${JSON.stringify(['keyleash', 's', id])}\t${value}\t${value.length}\n`
    }
    writeFileSync(path, `#keyleash log 2 0123456789abcdef\n${ids.map((id) => record(id, 0)).join('')}${ids.map((id) => record(id, 1)).join('')}`, { mode: 0o600 })
    const { store, errors } = open(path)
    const other = open(path).store
    expect((await other.list()).every((s) => s.usage.calls === 1)).toBe(true)
    await store.update(ids[0]!, addCall)
    expect(lines(path)[0]).not.toBe('#keyleash log 2 0123456789abcdef')
    expect(lines(path)).toHaveLength(10_001)
    for (const id of ids.slice(9_950)) await store.update(id, addCall)
    expect((await other.get(ids[0]!))?.usage.calls).toBe(2)
    expect((await other.get(ids[9_999]!))?.usage.calls).toBe(2)
    expect(lines(path)).toHaveLength(10_051)
    const listed = await open(path).store.list()
    expect(listed).toHaveLength(10_000)
    expect(listed.reduce((sum, s) => sum + s.usage.calls, 0)).toBe(10_051)
    expect(errors).toStrictEqual([])
  }, 60_000)
})
