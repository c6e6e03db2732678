import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { bytesToHex, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, describe, expect, inject, test } from 'vitest'
import type { InternalError } from '../../../src/errors.js'
import { withSessionKeys } from '../../../src/provider.js'
import { keyState } from '../../../src/sessions/keyState.js'
import type { StoreBackend } from '../../../src/sessions/stores/backend.js'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { folderBackend } from '../../../src/sessions/stores/folderBackend.js'
import { logFileBackend } from '../../../src/sessions/stores/logFileBackend.js'
import type { StoreOptions } from '../../../src/sessions/stores/options.js'
import type { PersistentStore } from '../../../src/sessions/stores/persistentStore.js'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import { rejectionOf } from '../../utils/rejection.js'
import { scriptedPreparer } from '../../utils/scriptedPreparer.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { account, grantMint, now, scriptedWallet, sendMint } from '../../utils/scriptedWallet.js'
import { readAll } from './atRest.js'

/*
 * Rotating a store's encryptionKey from A to B on the real stores: a session granted under A,
 * then the store opened again (a restart) with B and previousEncryptionKeys [A], then B alone,
 * then A alone. Redis runs where redis-server is installed (test/setup/redis.ts).
 */

const root = mkdtempSync(join(tmpdir(), 'keyleash-rotation-'))
const url = inject('redisUrl')
const clients: Redis[] = []
afterAll(async () => {
  rmSync(root, { recursive: true, force: true })
  await Promise.all(clients.map((client) => client.quit()))
})

/** Opens the same storage again, as a restarted process would, with the options given. */
type Storage = { open(options: StoreOptions): PersistentStore; atRest(): Promise<string> }
let made = 0

const media: { name: string; skip: boolean; storage(): Storage }[] = [
  {
    name: 'fileStore (one file)',
    skip: false,
    storage() {
      const path = join(root, `store-${++made}.jsonl`)
      return { open: (options) => fileStore(path, options), atRest: async () => readAll(path) }
    },
  },
  {
    name: 'fileStore (folder)',
    skip: false,
    storage() {
      const path = join(root, `folder-${++made}/`)
      return { open: (options) => fileStore(path, options), atRest: async () => readAll(path) }
    },
  },
  {
    name: 'redisStore',
    skip: url === '',
    storage() {
      const namespace = `rotation-${process.pid}-${++made}`
      const connect = () => {
        const client = new Redis(url, { maxRetriesPerRequest: 1 })
        clients.push(client)
        return client
      }
      const client = connect()
      return {
        open: (options) => redisStore(connect(), { ...options, namespace }),
        atRest: async () => {
          const names = await client.keys(`${namespace}:*`)
          return (await Promise.all(names.map(async (name) => ((await client.type(name)) === 'string' ? client.get(name) : '')))).join('\n')
        },
      }
    },
  },
]

// A as hex, B as bytes: both forms an app passes.
const keyA: Hex = bytesToHex(crypto.getRandomValues(new Uint8Array(32)))
const keyB = crypto.getRandomValues(new Uint8Array(32))
const keyC = crypto.getRandomValues(new Uint8Array(32))

/** A provider on `store` over a scripted wallet, and what it signed. */
function app(store: PersistentStore) {
  const preparer = scriptedPreparer()
  const provider = withSessionKeys(scriptedWallet('erc7715', preparer.script), { now: () => now, store })
  const send = (context: string) => sendMint(provider, context)
  async function grant(privateKey: Hex) {
    const key = await provider.sessions.importKey(privateKey)
    return { key, context: await grantMint(provider, key) }
  }
  return { provider, send, grant, sent: preparer.sent }
}

function opened(storage: Storage, options: StoreOptions) {
  const errors: InternalError[] = []
  const store = storage.open({ ...options, onError: (error) => errors.push(error) })
  return { store, errors, ...app(store) }
}

for (const medium of media) {
  describe.skipIf(medium.skip)(`${medium.name}: rotating the encryptionKey`, () => {
    test('behavior: a session granted under A stays active through a restart with B and previous [A], signs, and is re-sealed under B: B alone then opens it, A alone does not', async () => {
      const storage = medium.storage()
      const privateKey = generatePrivateKey()
      const { key, context } = await opened(storage, { encryptionKey: keyA }).grant(privateKey)

      const rotating = opened(storage, { encryptionKey: keyB, previousEncryptionKeys: [keyA] })
      expect((await rotating.provider.sessions.get(context))?.status).toBe('active')
      expect(await rotating.send(context)).toHaveProperty('id')
      expect(rotating.sent.map((batch) => batch.signer)).toStrictEqual([key])
      expect(rotating.errors).toStrictEqual([])

      // Sealed under B by that send alone (its key opened, its usage written): nothing needs A.
      const rotated = opened(storage, { encryptionKey: keyB })
      expect(await rotated.provider.sessions.get(context)).toMatchObject({ status: 'active', usage: { calls: 1 } })
      expect((await keyState(rotated.store, { keyAddress: key })).kind).toBe('signer')
      expect(await rotated.send(context)).toHaveProperty('id')
      expect(rotated.sent.map((batch) => batch.signer)).toStrictEqual([key])
      expect(rotated.errors).toStrictEqual([])
      expect(await storage.atRest()).not.toContain(privateKey.slice(2))

      // The old key alone: the record (sealed under B) is refused, the key is held but locked.
      const old = opened(storage, { encryptionKey: keyA })
      expect(await old.provider.sessions.get(context)).toBeUndefined()
      expect(await old.store.keys.has(key)).toBe(true)
      expect((await keyState(old.store, { keyAddress: key })).kind).toBe('locked')
      // A context keyleash does not hold is answered by keyleash, never the wallet: nothing signed here.
      expect(await rejectionOf(old.send(context))).toMatchObject({ code: -32602, data: { field: 'params[0].capabilities.permissions.context' } })
      expect(old.sent).toStrictEqual([])
      expect(old.errors.map((error) => error.message.replace(/^\w+Store \S+: /, ''))).toStrictEqual([
        `skipped session ${context}: the entry fails its authentication tag: it was altered, or written under another id or encryptionKey`,
        `skipped key ${key}: the key of ${key} does not decrypt: it was sealed with another encryptionKey, or altered`,
      ])
    })

    test('behavior: reseal() seals every record and key under B at once, a revoked session included, and a second pass finds nothing left', async () => {
      const storage = medium.storage()
      const before = opened(storage, { encryptionKey: keyA })
      const granted = [await before.grant(generatePrivateKey()), await before.grant(generatePrivateKey()), await before.grant(generatePrivateKey())]
      await before.provider.sessions.revoke(granted[2]!.context)

      const rotating = opened(storage, { encryptionKey: keyB, previousEncryptionKeys: [keyA] })
      // Three records (the revoked one too) and two keys (the revoke deleted the third).
      expect(await rotating.store.reseal()).toStrictEqual({ resealed: 5, unreadable: [] })
      expect(await rotating.store.reseal()).toStrictEqual({ resealed: 0, unreadable: [] })

      const rotated = opened(storage, { encryptionKey: keyB })
      expect((await rotated.provider.sessions.list()).map((session) => [session.id, session.status])).toStrictEqual(
        granted.map(({ context }, i) => [context, i < 2 ? 'active' : 'revoked']),
      )
      for (const { key } of granted.slice(0, 2)) expect((await keyState(rotated.store, { keyAddress: key })).kind).toBe('signer')
      expect((await rejectionOf(rotated.send(granted[2]!.context))).code).toBe(4100)
      expect(rotated.errors).toStrictEqual([])
    })

    test('behavior: reseal() while another instance counts calls on the session loses none of them', async () => {
      const storage = medium.storage()
      const { context } = await opened(storage, { encryptionKey: keyA }).grant(generatePrivateKey())
      const options = { encryptionKey: keyB, previousEncryptionKeys: [keyA] }
      const [resealing, counting] = [storage.open(options), storage.open(options)]
      const count = () => counting.update(context, (session) => ({ ...session, usage: { ...session.usage, calls: session.usage.calls + 1 } }))
      const [resealed] = await Promise.all([resealing.reseal(), ...Array.from({ length: 30 }, count)])
      expect(resealed.unreadable).toStrictEqual([])
      expect((await storage.open({ encryptionKey: keyB }).get(context))?.usage.calls).toBe(30)
    })

    test('error: a record and a key sealed under neither key (C) are refused, reported, and left as they are by reseal()', async () => {
      const storage = medium.storage()
      const { context: mine } = await opened(storage, { encryptionKey: keyA }).grant(generatePrivateKey())
      // Written into the same storage by a store that holds C: authentic to C, to nobody else.
      const intruder = storage.open({ encryptionKey: keyC })
      const foreignKey = await intruder.keys.import(generatePrivateKey())
      const foreign = '0xf0e1'
      await intruder.put(sessionFixture({ id: foreign, account, keyAddress: foreignKey }))

      const rotating = opened(storage, { encryptionKey: keyB, previousEncryptionKeys: [keyA] })
      expect((await rotating.provider.sessions.list()).map((session) => session.id)).toStrictEqual([mine])
      expect(await rotating.provider.sessions.get(foreign)).toBeUndefined()
      expect((await keyState(rotating.store, { keyAddress: foreignKey })).kind).toBe('locked')
      // Its own session's key was re-sealed already, when list() looked at it to tell active from locked.
      expect(await rotating.store.reseal()).toStrictEqual({ resealed: 1, unreadable: [`session ${foreign}`, `key ${foreignKey}`] })
      expect(rotating.errors.map((error) => error.message.replace(/^\w+Store \S+: /, ''))).toStrictEqual([
        `skipped session ${foreign}: the entry fails its authentication tag: it was altered, or written under another id or encryptionKey`,
        `skipped key ${foreignKey}: the key of ${foreignKey} does not decrypt: it was sealed with another encryptionKey, or altered`,
      ])
      // Left as they were: C still opens both.
      const other = storage.open({ encryptionKey: keyC })
      expect((await other.get(foreign))?.keyAddress).toBe(foreignKey)
      expect((await keyState(other, { keyAddress: foreignKey })).kind).toBe('signer')
    })

    test('behavior: a process still on the old key A revokes a session already re-sealed under B: revoked for good everywhere, its key stops signing; the wallet was not asked, and the error says so', async () => {
      const storage = medium.storage()
      const { context } = await opened(storage, { encryptionKey: keyA }).grant(generatePrivateKey())
      const rotated = opened(storage, { encryptionKey: keyB, previousEncryptionKeys: [keyA] })
      expect(await rotated.store.reseal()).toMatchObject({ resealed: 2 })
      const old = opened(storage, { encryptionKey: keyA })
      expect(await old.provider.sessions.get(context)).toBeUndefined()
      const error = await rejectionOf(old.provider.sessions.revoke(context))
      expect(error).toMatchObject({
        code: -32603,
        message: 'revoked here, not at the wallet: the record is sealed under a key this process lacks',
        data: { context, hint: 'revoke at the wallet from a process with the current key' },
      })
      // Every process reads it revoked now, whatever key it holds; the one on B refuses to sign.
      for (const reader of [rotated, opened(storage, { encryptionKey: keyB })]) expect((await reader.provider.sessions.get(context))?.status).toBe('revoked')
      await expect(rotated.send(context)).rejects.toMatchObject({ code: expect.any(Number) })
      expect(rotated.sent).toStrictEqual([])
      // A session of another account is no one else's to revoke: the old process finds none.
      const theirs = '0xbeef'
      await rotated.store.put(sessionFixture({ id: theirs, account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' }))
      expect(await rejectionOf(old.provider.sessions.revoke(theirs))).toMatchObject({ code: -32602 })
      expect((await rotated.store.get(theirs))?.status).toBe('active')
    })
  })
}

describe('replaceKey, the compare-and-set a re-seal writes with', () => {
  const backends: [string, () => StoreBackend][] = [
    ['one file', () => logFileBackend(join(root, `backend-${++made}.jsonl`), 'keyleash', { compactAbove: 1000, report: () => {} })],
    ['folder', () => folderBackend(join(root, `backend-${++made}/`), 'keyleash')],
  ]
  test.each(backends)('error: %s: writes only over the entry it read; a key changed or deleted meanwhile stays as it is', async (_, make) => {
    const backend = make()
    await backend.putKey('0xaa', 'sealed under A')
    expect(await backend.replaceKey('0xaa', 'sealed under A', 'sealed under B')).toBe(true)
    expect(await backend.getKey('0xaa')).toBe('sealed under B')
    // Another process re-sealed it first: its write stands.
    expect(await backend.replaceKey('0xaa', 'sealed under A', 'sealed again')).toBe(false)
    expect(await backend.getKey('0xaa')).toBe('sealed under B')
    // A revoke deleted it: it does not come back.
    await backend.deleteKey('0xaa')
    expect(await backend.replaceKey('0xaa', 'sealed under B', 'sealed again')).toBe(false)
    expect(await backend.getKey('0xaa')).toBeUndefined()
    expect(await backend.listKeys()).toStrictEqual([])
  })
})
