import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, test } from 'vitest'
import { webStorageStore } from '../../../src/sessions/stores/webStorageStore.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { MemoryStorage, memoryLocks } from './browserFakes.js'
import { describeStoreContract } from './contract.js'

function harness(withLocks: boolean) {
  return async () => {
    const storage = new MemoryStorage()
    const indexedDB = new IDBFactory()
    // Two stores on one storage, one lock manager and one IndexedDB: two tabs of one origin.
    const locks = withLocks ? memoryLocks() : undefined
    const errors: unknown[] = []
    const options = { indexedDB, locks, onError: (error: unknown) => errors.push(error) }
    return {
      store: webStorageStore(storage, options),
      reopen: () => webStorageStore(storage, options),
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
  test('behavior: updates take the session\'s Web Lock', async () => {
    const locks = memoryLocks()
    const store = webStorageStore(new MemoryStorage(), { indexedDB: new IDBFactory(), locks })
    await store.put(sessionFixture())
    await store.update('0xc0ffee', (s) => s)
    expect(locks.granted).toBe(2)
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
})
