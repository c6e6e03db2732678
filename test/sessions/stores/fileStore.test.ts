import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { fileStore, type FileStoreOptions } from '../../../src/sessions/stores/fileStore.js'
import { encodeSession } from '../../../src/sessions/stores/serialize.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { readAll } from './atRest.js'
import { describeStoreContract, type StoreHarness } from './contract.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-filestore-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let made = 0
const encryptionKey = crypto.getRandomValues(new Uint8Array(32))

/** A fresh store at `path`, how the contract damages one of its sessions, and its entries at rest. */
function harness(path: string, damage: (id: string) => void, raw: StoreHarness['raw']) {
  const errors: unknown[] = []
  const options: FileStoreOptions = { encryptionKey, onError: (error) => errors.push(error) }
  return {
    store: fileStore(path, options),
    reopen: () => fileStore(path, options),
    atRest: async () => readAll(path),
    damage: async (id: string) => damage(id),
    raw,
    errors,
  }
}

describeStoreContract('fileStore (one file)', async () => {
  const path = join(root, `store-${++made}.jsonl`)
  // The log's records: `<head>\t<value>\t<length of value>`, the last for a name the one that counts.
  const head = (kind: 'session' | 'key', name: string) => JSON.stringify(['keyleash', kind === 'session' ? 's' : 'k', name])
  const lines = () => (statSync(path, { throwIfNoEntry: false }) ? readFileSync(path, 'utf8').split('\n') : [])
  return harness(
    path,
    (id) => writeFileSync(path, lines().map((line) => (line.includes(`"s","${id}"]`) ? line.slice(0, line.length / 2) : line)).join('\n')),
    {
      get: async (kind, name) => {
        const record = lines().filter((line) => line.startsWith(`${head(kind, name)}\t`)).at(-1)?.slice(head(kind, name).length + 1)
        const value = record?.slice(0, record.lastIndexOf('\t'))
        return value === '' ? undefined : value
      },
      // Written as another process would: a record appended to the log.
      set: async (kind, name, value) => appendFileSync(path, `${head(kind, name)}\t${value}\t${value.length}\n`),
    },
  )
})

describeStoreContract('fileStore (folder)', async () => {
  const path = join(root, `folder-${++made}/`)
  const file = (kind: 'session' | 'key', name: string) => join(path, 'keyleash', kind === 'session' ? 's' : 'k', `${name}.json`)
  return harness(
    path,
    (id) => {
      writeFileSync(file('session', id), readFileSync(file('session', id), 'utf8').slice(0, 30))
    },
    {
      get: async (kind, name) => (statSync(file(kind, name), { throwIfNoEntry: false }) ? readFileSync(file(kind, name), 'utf8') : undefined),
      set: async (kind, name, value) => writeFileSync(file(kind, name), value),
    },
  )
})

describe('fileStore', () => {
  test('behavior: files are written with mode 0600 and no temporary or lock file is left', async () => {
    const path = join(root, 'mode.jsonl')
    const store = fileStore(path, { encryptionKey })
    await store.put(sessionFixture({ keyAddress: await store.keys.generate() }))
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(root).filter((name) => name.startsWith('mode.jsonl'))).toStrictEqual(['mode.jsonl'])
  })

  test('behavior: a crash mid-write (a torn temporary file left behind) loses nothing stored before', async () => {
    const path = join(root, 'crash.jsonl')
    const store = fileStore(path, { encryptionKey })
    await store.put(sessionFixture({ id: '0x01' }))
    writeFileSync(`${path}.4242.deadbeef.tmp`, readFileSync(path, 'utf8').slice(0, 20))
    await store.put(sessionFixture({ id: '0x02' }))
    expect((await fileStore(path, { encryptionKey }).list()).map((s) => s.id)).toStrictEqual(['0x01', '0x02'])
  })

  test('behavior: a truncated file loses only its last line, and a rewrite keeps the damaged line for recovery', async () => {
    const path = join(root, 'truncated.jsonl')
    const errors: unknown[] = []
    const store = fileStore(path, { encryptionKey, onError: (error) => errors.push(error) })
    for (const id of ['0x01', '0x02']) await store.put(sessionFixture({ id }))
    const text = readFileSync(path, 'utf8')
    writeFileSync(path, text.slice(0, text.length - 40))
    expect((await store.list()).map((s) => s.id)).toStrictEqual(['0x01'])
    await store.put(sessionFixture({ id: '0x03' }))
    expect(readFileSync(path, 'utf8')).toContain(text.slice(text.indexOf('\n') + 1, text.length - 40))
    expect(errors).toHaveLength(1)
  })

  test('behavior: a scope is a partition of its own: other accounts and chains are invisible, and put refuses them', async () => {
    const path = join(root, 'scoped.jsonl')
    const all = fileStore(path, { encryptionKey })
    const scoped = fileStore(path, { encryptionKey, scope: { chainId: 1, account: sessionFixture().account } })
    await scoped.put(sessionFixture())
    await all.put(sessionFixture({ status: 'revoked' }))
    expect((await scoped.get('0xc0ffee'))?.status).toBe('active')
    expect((await all.get('0xc0ffee'))?.status).toBe('revoked')
    await expect(scoped.put(sessionFixture({ chainId: 10 }))).rejects.toMatchObject({ code: -32602, message: 'session.chainId: must be 1: this store is scoped to that chain' })
    const otherNamespace = fileStore(path, { encryptionKey, namespace: 'another-app' })
    expect(await otherNamespace.list()).toStrictEqual([])
  })

  test('behavior: the folder layout keeps a session whose id is thousands of characters (a MetaMask context): stored, listed, updated, revoked and deleted, under a hashed file name', async () => {
    const path = join(root, 'long-ids/')
    const id = `0x${'ab'.repeat(1500)}`
    const store = fileStore(path, { encryptionKey })
    await store.put(sessionFixture({ id, keyAddress: await store.keys.generate() }))
    expect((await fileStore(path, { encryptionKey }).list()).map((session) => session.id)).toStrictEqual([id])
    expect((await store.update(id, (session) => ({ ...session, usage: { ...session.usage, calls: 1 } })))?.usage.calls).toBe(1)
    expect((await store.update(id, (session) => ({ ...session, status: 'revoked' })))?.status).toBe('revoked')
    expect((await fileStore(path, { encryptionKey }).get(id))?.status).toBe('revoked')
    const files = readdirSync(join(path, 'keyleash', 's'))
    expect(files).toHaveLength(2) // the record and its tombstone
    expect(files.every((name) => /^~[0-9a-f]{64}\.json$/.test(name))).toBe(true)
    await store.delete(id)
    expect(await store.get(id)).toBeUndefined()
  })

  test('behavior: a session an older keyleash filed under its long id itself (up to 250 characters) is still read and listed once, and moved under the hashed name by its next write', async () => {
    const path = join(root, 'legacy-long-ids/')
    const id = `0x${'cd'.repeat(110)}`
    const sessions = join(path, 'keyleash', 's')
    mkdirSync(sessions, { recursive: true })
    writeFileSync(join(sessions, `${id}.json`), encodeSession(sessionFixture({ id })))
    const store = fileStore(path, { plaintextKeys: true })
    expect((await store.get(id))?.id).toBe(id)
    expect((await store.update(id, (session) => ({ ...session, usage: { ...session.usage, calls: 1 } })))?.usage.calls).toBe(1)
    expect(readdirSync(sessions).filter((name) => name.endsWith('.json'))).toStrictEqual([expect.stringMatching(/^~[0-9a-f]{64}\.json$/)])
    expect((await fileStore(path, { plaintextKeys: true }).list()).map((session) => [session.id, session.usage.calls])).toStrictEqual([[id, 1]])
  })

  test('behavior: a large folder is read in slices, so the event loop turns while 1,000 sessions load', async () => {
    const path = join(root, 'large/')
    const sessions = join(path, 'keyleash', 's')
    mkdirSync(sessions, { recursive: true })
    const ids = Array.from({ length: 1000 }, (_, i) => `0x${i.toString(16).padStart(4, '0')}`)
    for (const id of ids) writeFileSync(join(sessions, `${id}.json`), encodeSession(sessionFixture({ id })))
    let turns = 0
    let listing = true
    const count = () => {
      if (!listing) return
      turns++
      setImmediate(count)
    }
    setImmediate(count)
    const listed = await fileStore(path, { plaintextKeys: true }).list()
    listing = false
    expect(listed.map((session) => session.id).sort()).toStrictEqual(ids)
    expect(turns).toBeGreaterThanOrEqual(4)
  })

  test('behavior: purge keeps a revoked session\'s tombstone while the session could still be live, and drops it a purgeMargin after its expiry', async () => {
    const store = fileStore(join(root, 'tombstones.jsonl'), { encryptionKey })
    await store.put(sessionFixture({ id: '0x01', expiry: 1_800_000_000 }))
    await store.update('0x01', (s) => ({ ...s, status: 'revoked' }))
    expect(await store.purge(1_700_000_000)).toStrictEqual(['0x01'])
    await expect(store.put(sessionFixture({ id: '0x01' }))).rejects.toMatchObject({ data: { reason: 'duplicate' } })
    // Within the purgeMargin (a day by default) past the expiry, a clock ahead could be wrong: kept.
    await store.purge(1_800_000_000 + 86_399)
    await expect(store.put(sessionFixture({ id: '0x01' }))).rejects.toMatchObject({ data: { reason: 'duplicate' } })
    await store.purge(1_800_000_000 + 86_400)
    await store.put(sessionFixture({ id: '0x01' }))
    expect((await store.get('0x01'))?.status).toBe('active')
  })

  test('error: without encryptionKey or plaintextKeys: true the store is refused, saying what to pass', () => {
    expect(() => fileStore(join(root, 'x.jsonl'))).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: encryptionKey: is required by fileStore: session keys are encrypted at rest]`)
    expect(() => fileStore(join(root, 'x.jsonl'), { encryptionKey: new Uint8Array(16) })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: encryptionKey: must be 32 bytes (a Uint8Array or 0x-prefixed hex) or an AES-GCM CryptoKey]`)
    expect(() => fileStore(join(root, 'x.jsonl'), { encryptionKey, plaintextKeys: true })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: plaintextKeys: cannot be true together with an encryptionKey: choose one]`)
  })
})
