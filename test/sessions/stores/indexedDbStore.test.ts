import { IDBDatabase, IDBFactory } from 'fake-indexeddb'
import { describe, expect, test } from 'vitest'
import { generatePrivateKey } from 'viem/accounts'
import { hexToBytes, keccak256 } from 'viem'
import type { P256Signer } from '../../../src/sessions/p256Key.js'
import { transact } from '../../../src/sessions/stores/idb.js'
import { indexedDbStore } from '../../../src/sessions/stores/indexedDbStore.js'
import { p256Keys } from '../../../src/sessions/p256Keys.js'
import { rejectionOf } from '../../utils/rejection.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { deleteDatabase, dumpDatabase } from './browserFakes.js'
import { describeStoreContract } from './contract.js'

describeStoreContract('indexedDbStore', async () => {
  // A fresh IndexedDB per test: two stores on it are two tabs of one origin.
  const indexedDB = new IDBFactory()
  const errors: unknown[] = []
  const options = { indexedDB, onError: (error: unknown) => errors.push(error) }
  const stores = { session: 'sessions', key: 'keys' } as const
  const open = () =>
    new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('keyleash')
      request.onsuccess = () => resolve(request.result)
    })
  const write = async (store: string, name: string, value: string) => {
    const db = await open()
    await new Promise<void>((resolve) => {
      const tx = db.transaction([store], 'readwrite')
      tx.objectStore(store).put(value, `keyleash\u0000${name}`)
      tx.oncomplete = () => resolve()
    })
    db.close()
  }
  return {
    store: indexedDbStore(options),
    reopen: () => indexedDbStore(options),
    atRest: () => dumpDatabase(indexedDB, 'keyleash'),
    damage: (id) => write('sessions', id, '{"v":1,"session":{"id":'),
    raw: {
      get: async (kind, name) => {
        const db = await open()
        const value = await new Promise<unknown>((resolve) => {
          const request = db.transaction([stores[kind]], 'readonly').objectStore(stores[kind]).get(`keyleash\u0000${name}`)
          request.onsuccess = () => resolve(request.result)
        })
        db.close()
        return value === undefined ? undefined : String(value)
      },
      set: (kind, name, value) => write(stores[kind], name, value),
    },
    errors,
  }
})

describe('indexedDbStore', () => {
  test('behavior: by default keys are sealed under a non-extractable CryptoKey kept in the database', async () => {
    const indexedDB = new IDBFactory()
    const store = indexedDbStore({ indexedDB })
    const privateKey = generatePrivateKey()
    await store.keys.import(privateKey)
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('keyleash')
      request.onsuccess = () => resolve(request.result)
    })
    const key = await new Promise<CryptoKey>((resolve) => {
      const request = db.transaction(['meta']).objectStore('meta').get('wrapping-key')
      request.onsuccess = () => resolve(request.result as CryptoKey)
    })
    db.close()
    expect({ extractable: key.extractable, algorithm: key.algorithm.name }).toStrictEqual({ extractable: false, algorithm: 'AES-GCM' })
    expect(await dumpDatabase(indexedDB, 'keyleash')).toContain('"alg":"A256GCM"')
  })

  test('behavior: a P-256 key is kept as its non-extractable CryptoKey, never its bytes, and signs after a reload; a revoke deletes it', async () => {
    const indexedDB = new IDBFactory()
    const store = indexedDbStore({ indexedDB })
    expect(store.keys.keyTypes).toStrictEqual(['secp256k1', 'p256'])
    const keyAddress = await store.keys.generate(p256Keys())
    await store.put(sessionFixture({ keyAddress }))
    const reloaded = indexedDbStore({ indexedDB })
    const signer = (await reloaded.keys.signer(keyAddress)) as P256Signer
    expect(signer).toMatchObject({ type: 'p256', address: keyAddress })
    const hash = keccak256('0x01')
    const verifier = await crypto.subtle.importKey('raw', hexToBytes(signer.publicKey) as Uint8Array<ArrayBuffer>, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    const signature = hexToBytes(await signer.sign({ hash })) as Uint8Array<ArrayBuffer>
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verifier, signature, hexToBytes(hash) as Uint8Array<ArrayBuffer>)).toBe(true)
    // At rest: the key entry is the public point; the CryptoKey is in `meta`, not extractable.
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('keyleash')
      request.onsuccess = () => resolve(request.result)
    })
    const kept = await new Promise<unknown>((resolve) => {
      const request = db.transaction(['meta']).objectStore('meta').get(`p256\u0000keyleash\u0000${keyAddress.toLowerCase()}`)
      request.onsuccess = () => resolve(request.result)
    })
    db.close()
    expect(kept).toBeInstanceOf(CryptoKey)
    await expect(crypto.subtle.exportKey('pkcs8', kept as CryptoKey)).rejects.toThrow()
    expect(await dumpDatabase(indexedDB, 'keyleash')).toContain(`{"v":1,"alg":"P-256","publicKey":"${signer.publicKey}","storedAt":`)
    await reloaded.delete('0xc0ffee')
    expect(await reloaded.keys.has(keyAddress)).toBe(false)
    expect(await indexedDbStore({ indexedDB }).keys.signer(keyAddress)).toBeUndefined()
  })

  test('behavior: purge deletes an expired session\'s P-256 key with its CryptoKey', async () => {
    const indexedDB = new IDBFactory()
    const store = indexedDbStore({ indexedDB })
    const keyAddress = await store.keys.generate(p256Keys())
    const session = sessionFixture({ keyAddress })
    await store.put(session)
    // Past the default purgeMargin (a day): a session is purged only once it has been expired that long.
    expect(await store.purge(session.expiry + 86_400)).toStrictEqual([session.id])
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('keyleash')
      request.onsuccess = () => resolve(request.result)
    })
    const names = await new Promise<IDBValidKey[]>((resolve) => {
      const request = db.transaction(['meta']).objectStore('meta').getAllKeys()
      request.onsuccess = () => resolve(request.result)
    })
    db.close()
    expect(names).toStrictEqual(['wrapping-key'])
    expect(await store.keys.has(keyAddress)).toBe(false)
  })

  test('behavior: a store scoped to a chain does not see another chain, in the same database', async () => {
    const indexedDB = new IDBFactory()
    await indexedDbStore({ indexedDB, scope: { chainId: 10 } }).put(sessionFixture({ chainId: 10 }))
    expect(await indexedDbStore({ indexedDB, scope: { chainId: 1 } }).list()).toStrictEqual([])
    expect(await indexedDbStore({ indexedDB }).list()).toStrictEqual([])
    expect(await indexedDbStore({ indexedDB, scope: { chainId: 10 } }).list()).toStrictEqual([sessionFixture({ chainId: 10 })])
  })

  test('behavior: when another tab deletes the database (or site data is cleared), the store opens it again and works on', async () => {
    const indexedDB = new IDBFactory()
    const store = indexedDbStore({ indexedDB })
    await store.put(sessionFixture())
    await deleteDatabase(indexedDB, 'keyleash')
    expect(await store.get('0xc0ffee')).toBeUndefined()
    const keyAddress = await store.keys.import(generatePrivateKey())
    await store.put(sessionFixture({ keyAddress }))
    // A reload: the key sealed after the deletion opens with the wrapping key stored since.
    const reloaded = indexedDbStore({ indexedDB })
    expect((await reloaded.get('0xc0ffee'))?.keyAddress).toBe(keyAddress)
    expect(await (await reloaded.keys.signer(keyAddress))?.signMessage({ message: 'still mine' })).toMatch(/^0x/)
  })

  test('error: a transaction on a closed connection is a -32603, never the DOMException\'s legacy code 11', async () => {
    const indexedDB = new IDBFactory()
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open('keyleash')
      request.onsuccess = () => resolve(request.result)
    })
    db.close()
    const error = await transact(db, ['sessions'], 'readonly', () => undefined).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: -32603, name: 'InternalError' })
  })

  test('error: an IndexedDB the page may not use (open throws: an opaque origin, storage blocked, a third-party frame) is a -32603 that says why, never the DOMException\'s legacy code 18', async () => {
    const blocked = { open: () => { throw new DOMException('access to the Indexed Database API is denied in this context', 'SecurityError') } } as unknown as IDBFactory
    const error = await rejectionOf(indexedDbStore({ indexedDB: blocked }).get('0xc0ffee'))
    expect(error.code).toBe(-32603)
    expect(error.message).toBe('IndexedDB database keyleash did not open: access to the Indexed Database API is denied in this context')
    expect(error.data.hint).toBe('private browsing, storage settings or a third-party frame may block IndexedDB')
  })

  test('behavior: every write commits with strict durability (on disk, not in the OS\'s buffers, before it resolves); reads ask for none', async () => {
    const indexedDB = new IDBFactory()
    const asked: [IDBTransactionMode | undefined, IDBTransactionOptions | undefined][] = []
    const original = IDBDatabase.prototype.transaction
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) {
      asked.push([mode, options])
      return original.call(this, stores, mode, options)
    }
    try {
      const store = indexedDbStore({ indexedDB })
      await store.put(sessionFixture())
      await store.get('0xc0ffee')
    } finally {
      IDBDatabase.prototype.transaction = original
    }
    expect(asked.filter(([mode]) => mode === 'readwrite').every(([, options]) => options?.durability === 'strict')).toBe(true)
    expect(asked.some(([mode]) => mode === 'readwrite')).toBe(true)
    expect(asked.filter(([mode]) => mode === 'readonly').every(([, options]) => options === undefined)).toBe(true)
  })
})
