import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, test } from 'vitest'
import { generatePrivateKey } from 'viem/accounts'
import { webStorageStore } from '../../../src/sessions/stores/webStorageStore.js'
import { rejectionOf } from '../../utils/rejection.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { deleteDatabase, MemoryStorage, memoryLocks } from './browserFakes.js'
import { describeStoreContract } from './contract.js'

function harness(withLocks: boolean) {
  return async () => {
    const storage = new MemoryStorage()
    const indexedDB = new IDBFactory()
    const errors: unknown[] = []
    const options = { indexedDB, onError: (error: unknown) => errors.push(error) }
    // A reopened store is the page reloaded, on the same storage and IndexedDB: its own lock
    // manager, since the page before it is gone and its locks with it (one tab at a time).
    const locks = () => (withLocks ? memoryLocks() : undefined)
    return {
      store: webStorageStore(storage, { ...options, locks: locks() }),
      reopen: () => webStorageStore(storage, { ...options, locks: locks() }),
      atRest: async () => [...storage.items].map(([item, value]) => `${item} ${value}`).join('\n'),
      damage: async (id: string) => storage.setItem(`keyleash:s:${id}`, storage.getItem(`keyleash:s:${id}`)!.slice(0, 50)),
      raw: {
        get: async (kind: 'session' | 'key', name: string) => storage.getItem(`keyleash:${kind === 'session' ? 's' : 'k'}:${name}`) ?? undefined,
        set: async (kind: 'session' | 'key', name: string, value: string) => storage.setItem(`keyleash:${kind === 'session' ? 's' : 'k'}:${name}`, value),
      },
      errors,
    }
  }
}

describeStoreContract('webStorageStore (Web Locks)', harness(true))
describeStoreContract('webStorageStore (no Web Locks)', harness(false))

describe('webStorageStore', () => {
  test('behavior: updates take the session\'s Web Lock, after the tab\'s own', async () => {
    const locks = memoryLocks()
    const store = webStorageStore(new MemoryStorage(), { indexedDB: new IDBFactory(), locks })
    await store.put(sessionFixture())
    await store.update('0xc0ffee', (s) => s)
    expect(locks.granted).toBe(3)
  })

  test('error: a second tab of the origin is refused while the first holds the store, since localStorage is not consistent across tabs', async () => {
    const storage = new MemoryStorage()
    const indexedDB = new IDBFactory()
    const locks = memoryLocks()
    const first = webStorageStore(storage, { indexedDB, locks })
    await first.put(sessionFixture())
    const second = webStorageStore(storage, { indexedDB, locks })
    expect(await rejectionOf(second.get('0xc0ffee'))).toMatchInlineSnapshot(`
      {
        "code": -32603,
        "data": {
          "hint": "close the other tab, or use indexedDbStore, which many tabs may share",
        },
        "message": "webStorageStore keyleash is in use by another tab: localStorage is not consistent across tabs, so only one may count usage",
      }
    `)
    expect(await rejectionOf(second.update('0xc0ffee', (s) => s))).toMatchObject({ code: -32603 })
    expect((await first.get('0xc0ffee'))?.id).toBe('0xc0ffee')
  })

  test('error: without IndexedDB, a key must be given (or plaintext asked for)', () => {
    expect(() => webStorageStore(new MemoryStorage())).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: encryptionKey: is required where IndexedDB is unavailable: session keys are never stored in plaintext by default]`)
    expect(() => webStorageStore(new MemoryStorage(), { plaintextKeys: true })).not.toThrow()
  })

  test('error: a full storage is reported with what to do', async () => {
    const storage = new MemoryStorage()
    storage.setItem = () => {
      throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' })
    }
    await expect(webStorageStore(storage, { plaintextKeys: true }).put(sessionFixture())).rejects.toMatchObject({
      code: -32603,
      message: 'webStorageStore keyleash: the storage refused a write (QuotaExceededError)',
    })
  })

  test('behavior: after IndexedDB is cleared, keys are sealed with the wrapping key stored since, so they open after a reload', async () => {
    const storage = new MemoryStorage()
    const indexedDB = new IDBFactory()
    const store = webStorageStore(storage, { indexedDB })
    await store.keys.import(generatePrivateKey())
    await deleteDatabase(indexedDB, 'keyleash')
    const keyAddress = await store.keys.import(generatePrivateKey())
    const reloaded = webStorageStore(storage, { indexedDB })
    expect(await (await reloaded.keys.signer(keyAddress))?.signMessage({ message: 'still mine' })).toMatch(/^0x/)
  })

  test('error: Web Locks that refuse the tab lock (an opaque origin, a document going away) are a -32603, and the lock is asked again on the next call', async () => {
    let refuse = true
    const locks = memoryLocks()
    const refusing = { request: ((...args: Parameters<typeof locks.request>) => (refuse ? Promise.reject(new DOMException('the document is not fully active', 'InvalidStateError')) : locks.request(...args))) as typeof locks.request }
    const store = webStorageStore(new MemoryStorage(), { indexedDB: new IDBFactory(), locks: refusing, plaintextKeys: true })
    const error = await rejectionOf(store.put(sessionFixture()))
    expect({ code: error.code, message: error.message }).toStrictEqual({ code: -32603, message: 'webStorageStore keyleash could not take its tab lock: the document is not fully active' })
    refuse = false
    await store.put(sessionFixture())
    expect((await store.get('0xc0ffee'))?.status).toBe('active')
  })
})
