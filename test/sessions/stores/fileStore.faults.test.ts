import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { encodeSession } from '../../../src/sessions/stores/serialize.js'
import { rejectionOf } from '../../utils/rejection.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-faults-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let made = 0

/** A real 128 KiB disk (a tmpfs, which only root may mount; CI runs as root), or `undefined`. */
function smallDisk(): string | undefined {
  const dir = join(root, `disk-${++made}`)
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  // Lazy, so that a handle a failing test left open cannot make cleanup fail too.
  afterAll(() => execFileSync('umount', ['-l', dir]))
  return dir
}

/** Fills `disk` with a file `filler` until `free` bytes (at most) are left; resolves to the filler's path. */
function fill(disk: string, free: number): string {
  const filler = join(disk, 'filler')
  writeFileSync(filler, '')
  const { bavail, bsize } = statfs(disk)
  appendFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - free)))
  return filler
}

function statfs(path: string): { bavail: number; bsize: number } {
  const [bsize, bavail] = execFileSync('stat', ['-f', '-c', '%S %a', path], { encoding: 'utf8' }).trim().split(' ').map(Number)
  return { bsize: bsize!, bavail: bavail! }
}

const open = (path: string, errors: unknown[] = []) => fileStore(path, { plaintextKeys: true, onError: (error) => errors.push(error) })

/** One send under a call limit, as the signer reserves it: resolves to whether it was acknowledged. */
async function send(store: ReturnType<typeof open>, limit: number): Promise<'sent' | 'refused' | 'failed'> {
  let reserved = false
  try {
    await store.update('0xc0ffee', (s) => {
      reserved = s.usage.calls < limit
      return reserved ? { ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } } : undefined
    })
  } catch (error) {
    expect(error).toMatchObject({ code: -32603, data: { cause: { code: 'ENOSPC' }, hint: expect.stringContaining('disk is full') } })
    return 'failed'
  }
  return reserved ? 'sent' : 'refused'
}

const disk = smallDisk()

describe.runIf(disk !== undefined || process.env.CI === 'true')('fileStore (one file) on a full 128 KiB disk', () => {
  test('behavior: a send the disk cuts short is refused, coded, never acknowledged; every acknowledged send is counted, none past the limit, and reads go on', async () => {
    // Each trial leaves a different number of bytes free, so the disk runs out at a different byte of a record.
    for (let trial = 0; trial < 12; trial++) {
      const dir = join(disk as string, `t${trial}`)
      mkdirSync(dir)
      const path = join(dir, 'sessions.jsonl')
      const store = open(path)
      await store.put(sessionFixture({ policies: [{ type: 'call-limit', count: 1_000 }] }))
      const filler = fill(disk as string, 700 + trial * 311)
      let acknowledged = 0
      const limit = 1_000
      for (let i = 0; i < 40; i++) if ((await send(store, limit)) === 'sent') acknowledged++
      // A fresh reader, still on the full disk, reads without writing: every acknowledged send and no more.
      const errors: unknown[] = []
      const reader = open(path, errors)
      expect((await reader.get('0xc0ffee'))?.usage.calls).toBe(acknowledged)
      expect(await reader.list()).toHaveLength(1)
      expect(errors).toStrictEqual([])
      rmSync(filler)
      // With space again, the limit holds exactly.
      const smallLimit = acknowledged + 2
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => send(reader, smallLimit)))
      expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(2)
      expect((await open(path).get('0xc0ffee'))?.usage.calls).toBe(smallLimit)
      rmSync(dir, { recursive: true })
    }
  }, 120_000)

  test('behavior: every acknowledged grant (a key, then its session) is there after the disk fills up', async () => {
    const dir = join(disk as string, 'grants')
    mkdirSync(dir)
    const path = join(dir, 'sessions.jsonl')
    const store = open(path)
    await store.put(sessionFixture({ id: '0x00' }))
    const filler = fill(disk as string, 6_000)
    const granted: string[] = []
    for (let i = 1; i < 30; i++) {
      try {
        const keyAddress = await store.keys.generate()
        await store.put(sessionFixture({ id: `0x${i.toString(16).padStart(2, '0')}`, keyAddress }))
        granted.push(`0x${i.toString(16).padStart(2, '0')}`)
      } catch (error) {
        expect(error).toMatchObject({ code: -32603, data: { cause: { code: 'ENOSPC' } } })
      }
    }
    expect(granted.length).toBeGreaterThan(0)
    expect(granted.length).toBeLessThan(29)
    const reopened = open(path)
    const listed = (await reopened.list()).map((session) => session.id)
    expect(listed).toStrictEqual(['0x00', ...granted])
    for (const session of await reopened.list()) if (session.keyAddress !== undefined) expect(await reopened.keys.signer(session.keyAddress)).toBeDefined()
    rmSync(filler)
    rmSync(dir, { recursive: true })
  }, 60_000)

  test('behavior: with a torn last record on a still-full disk, get and list answer without writing, and a write is refused coded with the file left as it was', async () => {
    const dir = join(disk as string, 'torn')
    mkdirSync(dir)
    const path = join(dir, 'sessions.jsonl')
    const store = open(path)
    await store.put(sessionFixture({ id: '0x01' }))
    const value = encodeSession(sessionFixture({ id: '0x01', status: 'revoked' }))
    appendFileSync(path, `["keyleash","s","0x01"]\t${value}`.slice(0, 90))
    const filler = fill(disk as string, 0)
    const before = readFileSync(path)
    const errors: unknown[] = []
    const reader = open(path, errors)
    expect((await reader.get('0x01'))?.status).toBe('active')
    expect((await reader.list()).map((s) => s.id)).toStrictEqual(['0x01'])
    expect(errors).toHaveLength(1) // the tear, reported once
    const refused = await rejectionOf(reader.update('0x01', (s) => ({ ...s, status: 'revoked' })))
    expect(refused).toMatchObject({ code: -32603, data: { cause: { code: 'ENOSPC' } } })
    expect(readFileSync(path)).toStrictEqual(before)
    rmSync(filler)
    expect((await reader.update('0x01', (s) => ({ ...s, status: 'revoked' })))?.status).toBe('revoked')
    expect((await open(path).get('0x01'))?.status).toBe('revoked')
    rmSync(dir, { recursive: true })
  })
})

describe('fileStore: damage at rest and paths that cannot be', () => {
  test('error: a log truncated to 0 bytes is refused, coded, not read as a store without sessions', async () => {
    const path = join(root, `empty-${++made}.jsonl`)
    const store = open(path)
    await store.put(sessionFixture())
    truncateSync(path, 0)
    for (const reader of [store, open(path)]) {
      const error = await rejectionOf(reader.list())
      expect(error).toMatchObject({ code: -32603, data: { hint: expect.stringContaining('restore the file from a backup') } })
      expect(error.message).toMatch(/the log is empty \(0 bytes\), but a log always holds its header: it was truncated at rest$/)
      await expect(reader.get('0xc0ffee')).rejects.toMatchObject({ code: -32603 })
      await expect(reader.put(sessionFixture({ id: '0x02' }))).rejects.toMatchObject({ code: -32603 })
    }
    expect(statSync(path).size).toBe(0)
  })

  test('error: a path under /proc fails at once, coded, and so does one whose parent is a file', () => {
    const started = Date.now()
    for (const path of ['/proc/keyleash/sessions.jsonl', '/proc/keyleash/sessions/']) {
      const error = (() => {
        try {
          open(path)
        } catch (error) {
          return error as { code: number; message: string }
        }
        throw new Error(`fileStore(${path}) did not throw`)
      })()
      const folder = path.endsWith('/') ? `${path}keyleash/s` : '/proc/keyleash'
      expect(error).toMatchObject({ code: -32602, message: `path: cannot make the folder ${folder}: ENOENT${path.endsWith('/') ? ' at /proc/keyleash' : ''}` })
    }
    expect(Date.now() - started).toBeLessThan(1_000)
    const file = join(root, `a-file-${++made}`)
    writeFileSync(file, '')
    expect(() => open(join(file, 'sessions.jsonl'))).toThrow(expect.objectContaining({ code: -32602, message: `path: ${file} is a file, so ${file} cannot be made as a folder under it` }))
  })

  test('error: a store file where nothing can be written (/proc) answers reads empty and refuses writes at once, coded', async () => {
    const store = open('/proc/keyleash-sessions.jsonl')
    expect(await store.list()).toStrictEqual([])
    const started = Date.now()
    const error = await rejectionOf(store.put(sessionFixture()))
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(error).toMatchObject({ code: -32603, data: { cause: { code: expect.any(String) }, hint: expect.any(String) } })
  })

  test.each(['log.jsonl', 'folder/'])('behavior: temporary files a killed process left (%s) are removed when the store is next used; a running process\'s are kept', async (name) => {
    const path = join(root, `temporaries-${++made}`, name)
    const store = open(path)
    await store.put(sessionFixture())
    const folder = name.endsWith('/') ? join(path, 'keyleash', 's') : join(root, `temporaries-${made}`)
    const base = name.endsWith('/') ? '0xc0ffee.json' : name
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    const dead = join(folder, `${base}.4194305.deadbeef.tmp`)
    const alive = join(folder, `${base}.${process.pid}.cafebabe.tmp`)
    writeFileSync(dead, 'half')
    writeFileSync(alive, 'half')
    const next = open(path)
    await next.put(sessionFixture({ id: '0x02' }))
    await next.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: 1 } }))
    expect(existsSync(dead)).toBe(false)
    expect(existsSync(alive)).toBe(true)
    expect(readdirSync(folder).filter((file) => file.endsWith('.tmp'))).toStrictEqual([`${base}.${process.pid}.cafebabe.tmp`])
  })
})
