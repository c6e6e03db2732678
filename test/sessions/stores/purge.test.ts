import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, test } from 'vitest'
import type { StoreBackend } from '../../../src/sessions/stores/backend.js'
import { plaintextCipher } from '../../../src/sessions/stores/encryption.js'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { folderBackend } from '../../../src/sessions/stores/folderBackend.js'
import { createPersistentStore } from '../../../src/sessions/stores/persistentStore.js'
import { encodeSession } from '../../../src/sessions/stores/serialize.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

const root = mkdtempSync(join(tmpdir(), 'keyleash-purge-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let made = 0
const now = 1_800_000_000
const hour = 3_600

/** `backend`, counting the calls of each of its methods. */
function counted(backend: StoreBackend): { backend: StoreBackend; calls: Record<string, number> } {
  const calls: Record<string, number> = {}
  const wrapped = { ...backend }
  for (const [name, method] of Object.entries(backend)) {
    if (typeof method !== 'function') continue
    ;(wrapped as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1
      return (method as (...args: unknown[]) => unknown)(...args)
    }
  }
  return { backend: wrapped, calls }
}

/** A folder store whose backend calls are counted, with keys stored at `storedAt` (unix seconds). */
function folderStore(storedAt: () => number) {
  const folder = join(root, `folder-${++made}`)
  const { backend, calls } = counted(folderBackend(folder, 'keyleash'))
  const errors: unknown[] = []
  const store = createPersistentStore(backend, { cipher: async () => ({ current: plaintextCipher, previous: [] }), scope: undefined, onError: (error) => errors.push(error), now: storedAt, purgeMargin: 0 })
  return { folder, backend, store, calls, errors }
}

describe('purge', () => {
  test('behavior: one pass over 1,000 sessions: one listing of sessions and one of keys, one delete per stale session and per key to go, nothing listed again', async () => {
    let clock = now - 2 * hour
    const { folder, store, calls } = folderStore(() => clock)
    const [live, stale, shared, unused] = [await store.keys.generate(), await store.keys.generate(), await store.keys.generate(), await store.keys.generate()]
    clock = now
    const young = await store.keys.generate()
    const sessions = Array.from({ length: 1_000 }, (_, i) => {
      const id = `0x${i.toString(16).padStart(4, '0')}`
      if (i < 500) return sessionFixture({ id, keyAddress: i % 2 ? live : shared, expiry: now + hour })
      if (i < 750) return sessionFixture({ id, keyAddress: stale, status: 'revoked' })
      return sessionFixture({ id, keyAddress: i === 999 ? shared : stale, expiry: now })
    })
    // Written as files, as 1,000 grants would have: the count below is purge's alone.
    for (const session of sessions) writeFileSync(join(folder, 'keyleash', 's', `${session.id}.json`), encodeSession(session))
    for (const name of Object.keys(calls)) delete calls[name]

    const purged = await store.purge(now)

    expect(purged.sort()).toStrictEqual(sessions.slice(500).map((s) => s.id))
    expect(calls).toStrictEqual({ listSessions: 1, listKeys: 1, deleteSession: 500, deleteKey: 2 })
    expect((await store.list()).map((s) => s.id).sort()).toStrictEqual(sessions.slice(0, 500).map((s) => s.id))
    for (const [key, kept] of [[live, true], [shared, true], [stale, false], [unused, false], [young, true]] as const) expect(await store.keys.has(key)).toBe(kept)
  })

  test('behavior: a key no session uses (a grant the wallet never answered) goes once older than keyGrace, an hour by default, and not before', async () => {
    const path = join(root, `grace-${++made}.jsonl`)
    const store = fileStore(path, { plaintextKeys: true })
    const at = Math.floor(Date.now() / 1000)
    const orphan = await store.keys.generate()
    const used = await store.keys.generate()
    await store.put(sessionFixture({ keyAddress: used, expiry: at + 10 * hour }))
    expect(await store.purge(at + hour - 60)).toStrictEqual([])
    expect(await store.keys.has(orphan)).toBe(true)
    expect(await store.purge(at + 60, { keyGrace: 30 })).toStrictEqual([])
    expect(await store.keys.has(orphan)).toBe(false)
    const later = await store.keys.generate()
    expect(await store.purge(at + hour + 60)).toStrictEqual([])
    expect(await store.keys.has(later)).toBe(false)
    expect(await store.keys.has(used)).toBe(true)
    expect(readFileSync(path, 'utf8')).toMatch(/"storedAt":\d+}/)
  })

  test('behavior: a key stored before keys were dated is kept (its age is unknown), and so is every unused key while a session entry is damaged', async () => {
    const { folder, backend, store, errors } = folderStore(() => now - 2 * hour)
    const privateKey = generatePrivateKey()
    const undated = privateKeyToAccount(privateKey).address
    await backend.putKey(undated.toLowerCase(), await plaintextCipher.seal(undated, privateKey))
    const unused = await store.keys.generate()
    writeFileSync(join(folder, 'keyleash', 's', '0x01.json'), '{"v":1,"session":{"id":"0x0')
    await store.put(sessionFixture({ id: '0x02', status: 'revoked' }))
    expect(await store.purge(now)).toStrictEqual(['0x02'])
    expect(errors).toHaveLength(1)
    expect(await store.keys.has(unused)).toBe(true)
    rmSync(join(folder, 'keyleash', 's', '0x01.json'))
    await store.purge(now)
    expect(await store.keys.has(unused)).toBe(false)
    expect(await store.keys.has(undated as Address)).toBe(true)
    expect((await store.keys.signer(undated))?.address).toBe(undated)
  })

  test("behavior: while an entry cannot be read (damaged, or sealed under a key this process lacks mid-rotation), purge and delete keep a stale session's key, which that entry may use", async () => {
    const { folder, store } = folderStore(() => now - 2 * hour)
    const key = await store.keys.generate()
    await store.put(sessionFixture({ id: '0x01', keyAddress: key }))
    await store.put(sessionFixture({ id: '0x02', keyAddress: key, status: 'revoked' }))
    await store.put(sessionFixture({ id: '0x03', keyAddress: key, status: 'revoked' }))
    const live = join(folder, 'keyleash', 's', '0x01.json')
    const text = readFileSync(live, 'utf8')
    writeFileSync(live, text.replace('"status":"active"', '"status":"activ'))
    expect(await store.purge(now)).toStrictEqual(['0x02', '0x03'])
    expect(await store.keys.has(key)).toBe(true)
    await store.put(sessionFixture({ id: '0x04', keyAddress: key }))
    await store.delete('0x04')
    expect(await store.keys.has(key)).toBe(true)
    // Once the entry reads again, the key is known to be used: it stays, as ever.
    writeFileSync(live, text)
    expect((await store.get('0x01'))?.keyAddress).toBe(key)
  })

  test.each(['clock.jsonl', 'clock/'])('behavior: with the clock 2 h ahead, purge (%s) keeps a session with 59 min left and its key; one expired a purgeMargin ago goes', async (name) => {
    const path = join(root, `${++made}-${name}`)
    const store = fileStore(path, { plaintextKeys: true })
    const key = await store.keys.generate()
    const oldKey = await store.keys.generate()
    await store.put(sessionFixture({ id: '0x01', expiry: now + 59 * 60, keyAddress: key }))
    await store.put(sessionFixture({ id: '0x02', expiry: now - 86_400, keyAddress: oldKey }))
    expect(await store.purge(now + 2 * hour)).toStrictEqual(['0x02'])
    expect((await store.get('0x01'))?.expiry).toBe(now + 59 * 60)
    expect(await store.keys.has(key)).toBe(true)
    expect(await store.keys.has(oldKey)).toBe(false)
    // A store that asks for no margin gets none.
    expect(await fileStore(path, { plaintextKeys: true, purgeMargin: 0 }).purge(now + 2 * hour)).toStrictEqual(['0x01'])
  })

  test('error: purgeMargin must be a number of seconds ≥ 0', () => {
    for (const purgeMargin of [-1, Number.NaN, '60' as unknown as number])
      expect(() => fileStore(join(root, 'margin.jsonl'), { plaintextKeys: true, purgeMargin })).toThrow(
        expect.objectContaining({ code: -32602, message: 'purgeMargin: must be a number of seconds ≥ 0' }),
      )
  })

  test('error: a negative keyGrace is refused, naming the option', async () => {
    const { store } = folderStore(() => now)
    await expect(store.purge(now, { keyGrace: -1 })).rejects.toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: keyGrace: must be a number of seconds ≥ 0]`)
  })
})
