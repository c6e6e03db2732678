import { InvalidParamsError } from '../../errors.js'
import type { PutOutcome, StoreBackend } from './backend.js'
import { cryptoKeyVault, databaseConnection, objectStores, transact, wrappingKeyOf } from './idb.js'
import { keyRingOf, partitionOf, type StoreOptions } from './options.js'
import { createPersistentStore, type PersistentStore } from './persistentStore.js'

/** Options of {@link indexedDbStore}. */
export type IndexedDbStoreOptions = StoreOptions & {
  /** The database name. Default: `'keyleash'`. */
  database?: string | undefined
  /** The IndexedDB to use. Default: `globalThis.indexedDB` (tests pass `fake-indexeddb`'s). */
  indexedDB?: IDBFactory | undefined
}

const { sessions, keys } = objectStores

/**
 * A {@link PersistentStore} in the browser's IndexedDB: sessions survive a reload, and by
 * default keys are sealed with AES-GCM under a non-extractable `CryptoKey` the store makes
 * and keeps in the same database (never plaintext unless `plaintextKeys: true`). That
 * protects keys from a copied disk and from other origins, not from a script running on the
 * page: it can use the wrapping key as the store does (see the README's security model).
 * P-256 keys (`keyType: p256Keys()`) are different: the store keeps their non-extractable
 * `CryptoKey` itself (structured clone), so no one, on the page or off it, can read their
 * bytes; a script on the page can still use them while it runs.
 *
 * `update` reads, changes and writes in one readwrite transaction; IndexedDB never runs two
 * overlapping readwrite transactions at once, so two tabs never sign past a call limit.
 * Entries are scoped by `namespace` and `scope` (IndexedDB is already per origin).
 *
 * @example
 * import { indexedDbStore, withSessionKeys } from 'keyleash'
 * const provider = withSessionKeys(window.ethereum, { store: indexedDbStore() })
 */
export function indexedDbStore(options: IndexedDbStoreOptions = {}): PersistentStore {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  if (factory === undefined) throw new InvalidParamsError('indexedDB', 'is not available here', { hint: 'use webStorageStore, or pass an IDBFactory' })
  const name = options.database ?? 'keyleash'
  const db = databaseConnection(name, factory)
  const partition = partitionOf(options)
  const backend = indexedDbBackend(db, partition, `indexedDbStore ${name}`)
  const cipher = keyRingOf(options, 'indexedDbStore', wrappingKeyOf(db))
  return createPersistentStore(backend, { cipher, scope: options.scope, onError: options.onError, purgeMargin: options.purgeMargin, vault: cryptoKeyVault(db, partition) })
}

/**
 * Sessions and keys in their object stores under `<partition>\u0000<id>`. Values are the
 * codec's strings (not structured clones), so every store reads and checks them alike.
 *
 * @example
 * const backend = indexedDbBackend(databaseConnection('keyleash', indexedDB), 'keyleash', 'indexedDbStore keyleash')
 */
export function indexedDbBackend(db: () => Promise<IDBDatabase>, partition: string, name: string): StoreBackend {
  const prefix = `${partition}\u0000`
  const get = async (store: string, id: string) =>
    transact<string | undefined>(await db(), [store], 'readonly', ({ tx, after, done }) => after(tx.objectStore(store).get(prefix + id), (v) => done(asString(v))))

  // All keys, filtered here: a key range would need the global IDBKeyRange of the same
  // IndexedDB implementation as the factory passed in, and partitions are few.
  const list = async (store: string) =>
    transact<[string, string][]>(await db(), [store], 'readonly', ({ tx, after, done }) => {
      const objects = tx.objectStore(store)
      after(objects.getAllKeys(), (names) =>
        after(objects.getAll(), (values) => {
          const found: [string, string][] = []
          names.forEach((key, i) => {
            const value = asString(values[i])
            if (typeof key === 'string' && key.startsWith(prefix) && value !== undefined) found.push([key.slice(prefix.length), value])
          })
          done(found)
        }),
      )
    })

  return {
    name,
    getSession: (id) => get(sessions, id),
    listSessions: () => list(sessions),
    async putSession(id, value, keyAddress) {
      return transact<PutOutcome>(await db(), [sessions, keys], 'readwrite', ({ tx, after, done }) => {
        const write = () => {
          tx.objectStore(sessions).put(value, prefix + id)
          done('stored')
        }
        after(tx.objectStore(sessions).count(prefix + id), (existing) => {
          if (existing > 0) return done('exists')
          if (keyAddress === undefined) return write()
          after(tx.objectStore(keys).count(prefix + keyAddress), (count) => (count > 0 ? write() : done('no-key')))
        })
      })
    },
    async updateSession(id, change) {
      return transact<boolean | undefined>(await db(), [sessions], 'readwrite', ({ tx, after, done }) => {
        const store = tx.objectStore(sessions)
        after(store.get(prefix + id), (current) => {
          const value = asString(current)
          if (value === undefined) return done(undefined)
          const next = change(value)
          if (next !== undefined) store.put(next, prefix + id)
          done(next !== undefined)
        })
      })
    },
    async deleteSession(id) {
      return transact<string | undefined>(await db(), [sessions], 'readwrite', ({ tx, after, done }) => {
        const store = tx.objectStore(sessions)
        after(store.get(prefix + id), (current) => {
          store.delete(prefix + id)
          done(asString(current))
        })
      })
    },
    getKey: (address) => get(keys, address),
    listKeys: () => list(keys),
    async putKey(address, value) {
      await transact<void>(await db(), [keys], 'readwrite', ({ tx }) => {
        tx.objectStore(keys).put(value, prefix + address)
      })
    },
    async replaceKey(address, expected, next) {
      return transact<boolean>(await db(), [keys], 'readwrite', ({ tx, after, done }) => {
        const store = tx.objectStore(keys)
        after(store.get(prefix + address), (current) => {
          const replaced = asString(current) === expected
          if (replaced) store.put(next, prefix + address)
          done(replaced)
        })
      })
    },
    async deleteKey(address) {
      await transact<void>(await db(), [keys], 'readwrite', ({ tx }) => {
        tx.objectStore(keys).delete(prefix + address)
      })
    },
  }
}

/** A value that is not a string (written by something else) becomes one that fails to decode: reported, not silently dropped. */
function asString(value: unknown): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : String(value)
}
