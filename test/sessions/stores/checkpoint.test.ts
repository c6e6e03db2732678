import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import type { InternalError } from '../../../src/errors.js'
import { aesGcmCipher } from '../../../src/sessions/stores/encryption.js'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { nodeRecordAuth } from '../../../src/sessions/stores/nodeRecordAuth.js'
import { tombstoneOf } from '../../../src/sessions/stores/persistentStore.js'
import { encodeSession, sealRecord } from '../../../src/sessions/stores/serialize.js'
import type { Session } from '../../../src/sessions/types.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-checkpoint-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let made = 0

const encryptionKey = `0x${'22'.repeat(32)}` as const
const rotatedKey = `0x${'33'.repeat(32)}` as const
// A list checks records one by one, and saves a checkpoint, from 1,000 records on.
const count = 1200

/** The session of index `i`: its own key, usage and data, the rest shared with the others. */
function sessionOf(i: number): Session {
  const key = `0x${(i + 1).toString(16).padStart(40, '0')}` as const
  return sessionFixture({
    id: `0x${i.toString(16).padStart(8, '0')}`,
    signer: { type: 'account', address: key },
    keyAddress: i % 7 === 0 ? undefined : key,
    usage: { calls: i % 10, native: BigInt(i) * 10n ** 18n, spent: {} },
    // Some with bytes and dates (which a store hands out as copies), every one with an object that looks like a codec's tag.
    walletData: i % 3 === 0 ? { bytes: Uint8Array.of(i & 0xff), at: new Date(1_800_000_000_000 + i) } : { nested: { $t: 'not a tag' } },
  })
}

/** A log of `count` records as grants leave it, each sealed under `encryptionKey`, in a folder of its own. */
async function writeLog(): Promise<{ path: string; folder: string; lines: string[] }> {
  const folder = join(root, `store-${++made}`)
  mkdirSync(folder)
  const path = join(folder, 'sessions.jsonl')
  const auth = nodeRecordAuth((await aesGcmCipher(encryptionKey)).records!)
  const lines = ['#keyleash log 2 0123456789abcdef']
  for (let i = 0; i < count; i++) lines.push(line(sessionOf(i).id, await sealRecord(sessionOf(i), auth)))
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 })
  return { path, folder, lines }
}

const line = (id: string, value: string) => `${JSON.stringify(['keyleash', 's', id])}\t${value}\t${value.length}`

function open(path: string, options: { encryptionKey?: `0x${string}`; previousEncryptionKeys?: `0x${string}`[] } = {}) {
  const errors: InternalError[] = []
  return { store: fileStore(path, { encryptionKey, onError: (error) => errors.push(error), ...options }), errors }
}

const checkpointOf = (folder: string) => readdirSync(folder).find((name) => name.endsWith('.checkpoint'))

/** Lists in a fresh store, as a restarting process does, and waits for the checkpoint that list saves. */
async function listAndCheckpoint(path: string, folder: string): Promise<Session[]> {
  const listed = await open(path).store.list()
  await vi.waitFor(() => expect(checkpointOf(folder)).toBeDefined(), { timeout: 20_000, interval: 20 })
  return listed
}

/** A record's line with its text changed but its tag kept: what checking the record would refuse. */
function alteredKeepingTag(lines: string[], index: number): string {
  const [head, value] = lines[index]!.split('\t') as [string, string]
  const altered = value.replace('"calls":', '"calls":9')
  return `${head}\t${altered}\t${altered.length}`
}

describe('fileStore (one file): the checkpoint a cold list reads', () => {
  test('behavior: a restarted process lists, from the checkpoint an earlier list saved, exactly what checking every record gives', async () => {
    const { path, folder } = await writeLog()
    const checked = await listAndCheckpoint(path, folder)
    expect(checked).toHaveLength(count)
    const { store, errors } = open(path)
    const listed = await store.list()
    expect(listed).toEqual(checked)
    expect(listed[1]).toEqual(sessionOf(1))
    expect(errors).toEqual([])
    // Bytes and dates are handed out as copies, as everywhere else; the rest is frozen.
    expect(Object.isFrozen(listed[4]!.usage)).toBe(true)
    expect(listed[3]!.walletData).toEqual(sessionOf(3).walletData)
  })

  test('behavior: sessions from a checkpoint share, frozen, the members many of them have', async () => {
    const { path, folder } = await writeLog()
    await listAndCheckpoint(path, folder)
    const [, first, second] = await open(path).store.list()
    expect(first!.permissions).toBe(second!.permissions)
    expect(Object.isFrozen(first!.permissions[0])).toBe(true)
    expect(first!.signer).not.toBe(second!.signer)
  })

  test('rule: a record the checkpoint names by its tag is read as the checkpoint has it, unchecked (so it vouches for nothing never checked)', async () => {
    const { path, folder, lines } = await writeLog()
    await listAndCheckpoint(path, folder)
    lines[5] = alteredKeepingTag(lines, 5)
    writeFileSync(path, `${lines.join('\n')}\n`)
    const { store, errors } = open(path)
    expect((await store.list()).find((session) => session.id === sessionOf(4).id)).toEqual(sessionOf(4))
    expect(errors).toEqual([])
  })

  test('rule: a record written after the checkpoint is read from the log, not the checkpoint', async () => {
    const { path, folder } = await writeLog()
    await listAndCheckpoint(path, folder)
    await open(path).store.update(sessionOf(10).id, (session) => ({ ...session, usage: { ...session.usage, calls: 99 } }))
    const listed = await open(path).store.list()
    expect(listed.find((session) => session.id === sessionOf(10).id)?.usage.calls).toBe(99)
    expect(listed).toHaveLength(count)
  })

  test('rule: a tombstone written after the checkpoint still revokes its session', async () => {
    const { path, folder } = await writeLog()
    await listAndCheckpoint(path, folder)
    const id = sessionOf(20).id
    const tombstone = JSON.stringify({ v: 1, tombstone: id, expiry: sessionOf(20).expiry, done: false })
    appendFileSync(path, `${line(tombstoneOf(id), tombstone)}\n`)
    const { store } = open(path)
    expect((await store.list()).find((session) => session.id === id)?.status).toBe('revoked')
  })

  test('rule: a record moved under another id is not vouched for: it is checked, and refused', async () => {
    const { path, folder, lines } = await writeLog()
    await listAndCheckpoint(path, folder)
    const moved = lines[1 + 30]!.split('\t')[1]!
    lines[1 + 31] = line(sessionOf(31).id, moved)
    writeFileSync(path, `${lines.join('\n')}\n`)
    const { store, errors } = open(path)
    const listed = await store.list()
    expect(listed.map((session) => session.id)).not.toContain(sessionOf(31).id)
    expect(listed.filter((session) => session.id === sessionOf(30).id)).toHaveLength(1)
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining(`skipped session ${sessionOf(31).id}: the entry fails its authentication tag`)])
  })

  test('rule: a checkpoint altered at rest is passed over: every record is checked again, and a new checkpoint saved', async () => {
    const { path, folder, lines } = await writeLog()
    await listAndCheckpoint(path, folder)
    const file = join(folder, checkpointOf(folder)!)
    const text = readFileSync(file, 'utf8')
    // One session's calls changed in the checkpoint's rows: its tag no longer matches.
    writeFileSync(file, text.replace(/,(\d+),"0x00000002"/, ',$1,"0x00000003"'))
    lines[5] = alteredKeepingTag(lines, 5)
    writeFileSync(path, `${lines.join('\n')}\n`)
    const { store, errors } = open(path)
    expect(await store.list()).toHaveLength(count - 1)
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining(`skipped session ${sessionOf(4).id}: the entry fails its authentication tag`)])
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).not.toBe(text), { timeout: 20_000, interval: 20 })
  })

  test('rule: a checkpoint under a key the store no longer writes with (a rotation) is passed over, and saved again under the new key', async () => {
    const { path, folder } = await writeLog()
    const checked = await listAndCheckpoint(path, folder)
    const file = join(folder, checkpointOf(folder)!)
    const before = readFileSync(file, 'utf8')
    const { store, errors } = open(path, { encryptionKey: rotatedKey, previousEncryptionKeys: [encryptionKey] })
    expect(await store.list()).toEqual(checked)
    expect(errors).toEqual([])
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).not.toBe(before), { timeout: 20_000, interval: 20 })
  })

  test('rule: a checkpoint tagged under the key but of another version (an earlier keyleash) is passed over, and saved again in this one', async () => {
    const { path, folder } = await writeLog()
    const checked = await listAndCheckpoint(path, folder)
    const file = join(folder, checkpointOf(folder)!)
    const text = readFileSync(file, 'utf8')
    const body = text.slice(text.indexOf('\n') + 1).replace('{"v":2,', '{"v":1,')
    const auth = nodeRecordAuth((await aesGcmCipher(encryptionKey)).records!)
    const earlier = `#keyleash checkpoint 1 ${await auth.tag(`keyleash/checkpoint\u0000${body}`)}\n${body}`
    writeFileSync(file, earlier)
    const { store, errors } = open(path)
    expect(await store.list()).toEqual(checked)
    expect(errors).toEqual([])
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).toBe(text), { timeout: 20_000, interval: 20 })
  })

  test('rule: a store without an encryptionKey keeps no checkpoint (its records carry no tag to vouch for)', async () => {
    const folder = join(root, `store-${++made}`)
    mkdirSync(folder)
    const path = join(folder, 'sessions.jsonl')
    const lines = ['#keyleash log 2 0123456789abcdef', ...Array.from({ length: count }, (_, i) => line(sessionOf(i).id, encodeSession(sessionOf(i))))]
    writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 })
    expect(await fileStore(path, { plaintextKeys: true }).list()).toHaveLength(count)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(readdirSync(folder)).toEqual(['sessions.jsonl'])
  })

  test('errors: a checkpoint that cannot be written is reported, coded, and the list still answers', async () => {
    const { path, folder } = await writeLog()
    // A folder where the checkpoint goes (one per partition, named by its hash): renaming a file over it fails.
    mkdirSync(join(folder, `sessions.jsonl.${createHash('sha256').update('keyleash').digest('hex').slice(0, 16)}.checkpoint`))
    const { store, errors } = open(path)
    expect(await store.list()).toHaveLength(count)
    await vi.waitFor(() => expect(errors).toHaveLength(2), { timeout: 20_000, interval: 20 })
    expect(errors.map((error) => error.code)).toEqual([-32603, -32603])
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/could not read its checkpoint .*\.checkpoint: EISDIR$/),
      expect.stringMatching(/could not write its checkpoint .*\.checkpoint: E(ISDIR|EXIST|NOTEMPTY)$/),
    ])
    expect(errors[1]!.data).toMatchObject({ hint: expect.stringContaining('lists stay correct') })
  })
})

