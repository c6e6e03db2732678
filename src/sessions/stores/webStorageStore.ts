import { causeOf, InternalError, InvalidParamsError } from '../../errors.js'
import type { StoreBackend } from './backend.js'
import { databaseConnection, wrappingKeyOf } from './idb.js'
import { keyRingOf, partitionOf, type StoreOptions } from './options.js'
import { createPersistentStore, type PersistentStore } from './persistentStore.js'

/** The part of the Web Locks API the store uses (`navigator.locks`). */
export type WebLocks = {
  /** Runs `callback` holding the lock `name`, once every earlier holder let go. */
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
  /** Runs `callback` with the lock if no one holds it, else with `null` at once. */
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>
}

/** Options of {@link webStorageStore}. */
export type WebStorageStoreOptions = StoreOptions & {
  /**
   * Keeps the store to one tab, and serialises updates. Default: `navigator.locks` where the
   * browser has it; without it, nothing stops a second tab (use one tab only), and an update
   * is still atomic within the tab (storage calls are synchronous).
   */
  locks?: WebLocks | undefined
  /** Where the default wrapping key is kept. Default: `globalThis.indexedDB`. */
  indexedDB?: IDBFactory | undefined
  /** The IndexedDB database of the wrapping key. Default: `'keyleash'` (shared with indexedDbStore). */
  database?: string | undefined
}

/**
 * A {@link PersistentStore} in `localStorage` (survives a reload and a restart) or
 * `sessionStorage` (this tab only). Keys are never stored in plaintext by default: they are
 * sealed with AES-GCM under a non-extractable `CryptoKey` kept in IndexedDB (or under the
 * `encryptionKey` given); a copy of the storage alone opens nothing, but a script running on
 * the page can open keys as the store does (see the README's security model).
 *
 * **One tab at a time.** localStorage is not consistent across tabs, even under a Web Lock
 * (two Chromium tabs incrementing one counter inside `navigator.locks` lost 9 of 600
 * increments), so usage counted here by two tabs could be lost and a limit overspent. The
 * store takes an exclusive Web Lock on its partition for the life of the page; in a second
 * tab every call is refused (-32603) until the first tab closes. For many tabs, use
 * `indexedDbStore`, whose transactions are consistent across tabs.
 *
 * Items are `<namespace>:s:<id>` and `<namespace>:k:<address>`.
 *
 * @example
 * import { webStorageStore, withSessionKeys } from 'keyleash'
 * const provider = withSessionKeys(window.ethereum, { store: webStorageStore(localStorage, { namespace: 'my-app' }) })
 */
export function webStorageStore(storage: Storage, options: WebStorageStoreOptions = {}): PersistentStore {
  if (typeof storage !== 'object' || storage === null || typeof storage.getItem !== 'function')
    throw new InvalidParamsError('storage', 'must be a Web Storage object: localStorage or sessionStorage')
  const partition = partitionOf(options)
  const locks = options.locks ?? (globalThis as { navigator?: { locks?: WebLocks } }).navigator?.locks
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  const database = options.database ?? 'keyleash'
  const fallback = factory === undefined ? undefined : wrappingKeyOf(databaseConnection(database, factory))
  if (fallback === undefined && options.encryptionKey === undefined && options.plaintextKeys !== true)
    throw new InvalidParamsError('encryptionKey', 'is required where IndexedDB is unavailable: session keys are never stored in plaintext by default', {
      hint: 'pass an AES-GCM CryptoKey (non-extractable) as encryptionKey, or plaintextKeys: true for tests',
    })
  const cipher = keyRingOf(options, 'webStorageStore', fallback)
  const sessionItem = (id: string) => `${partition}:s:${id}`
  const keyItem = (address: string) => `${partition}:k:${address}`
  const name = `webStorageStore ${partition}`

  function set(item: string, value: string): void {
    try {
      storage.setItem(item, value)
    } catch (error) {
      // QuotaExceededError (or storage disabled): say which store and what to do.
      throw new InternalError(`${name}: the storage refused a write (${(error as Error)?.name ?? 'error'})`, {
        cause: causeOf(error),
        hint: 'the origin storage is full or disabled; purge old sessions (store.purge()) or use indexedDbStore',
      })
    }
  }
  const value = (item: string) => storage.getItem(item) ?? undefined
  const ownTab = claimTab(locks, `keyleash:${partition}:tab`, name)
  const locked = async <T>(id: string, task: () => T): Promise<T> => {
    await ownTab()
    return locks === undefined ? task() : locks.request(`keyleash:${partition}:s:${id}`, async () => task())
  }
  const read = async (item: string) => {
    await ownTab()
    return value(item)
  }
  /** Every item whose name starts with `prefix`, as `[rest of the name, value]`. */
  const itemsUnder = async (prefix: string) => {
    await ownTab()
    const found: [string, string][] = []
    for (let i = 0; i < storage.length; i++) {
      const item = storage.key(i)
      if (item === null || !item.startsWith(prefix)) continue
      const stored = value(item)
      if (stored !== undefined) found.push([item.slice(prefix.length), stored])
    }
    return found
  }

  const backend: StoreBackend = {
    name,
    getSession: (id) => read(sessionItem(id)),
    listSessions: () => itemsUnder(sessionItem('')),
    putSession: (id, stored, keyAddress) =>
      locked(id, () => {
        // Checked and written synchronously: nothing in this tab runs in between.
        if (value(sessionItem(id)) !== undefined) return 'exists'
        if (keyAddress !== undefined && value(keyItem(keyAddress)) === undefined) return 'no-key'
        set(sessionItem(id), stored)
        return 'stored'
      }),
    updateSession: (id, change) =>
      locked(id, () => {
        const current = value(sessionItem(id))
        if (current === undefined) return undefined
        const next = change(current)
        if (next === undefined) return false
        set(sessionItem(id), next)
        return true
      }),
    deleteSession: (id) =>
      locked(id, () => {
        const current = value(sessionItem(id))
        storage.removeItem(sessionItem(id))
        return current
      }),
    getKey: (address) => read(keyItem(address)),
    listKeys: () => itemsUnder(keyItem('')),
    putKey: async (address, sealed) => {
      await ownTab()
      set(keyItem(address), sealed)
    },
    replaceKey: async (address, expected, next) => {
      await ownTab()
      // Checked and written synchronously, in the one tab that holds the store.
      if (value(keyItem(address)) !== expected) return false
      set(keyItem(address), next)
      return true
    },
    deleteKey: async (address) => {
      await ownTab()
      storage.removeItem(keyItem(address))
    },
  }
  return createPersistentStore(backend, { cipher, scope: options.scope, onError: options.onError, purgeMargin: options.purgeMargin })
}

/**
 * Resolves once this page holds the exclusive lock `name`, which it then keeps until the page
 * goes (the browser releases a closed page's locks); rejects, coded, while another tab holds
 * it, and asks again on the next call. Without Web Locks there is nothing to claim.
 */
function claimTab(locks: WebLocks | undefined, name: string, store: string): () => Promise<void> {
  if (locks === undefined) return async () => {}
  let claimed: Promise<void> | undefined
  return () =>
    (claimed ??= new Promise<void>((resolve, reject) => {
      locks
        .request(name, { ifAvailable: true }, (lock) => {
          if (lock === null) {
            claimed = undefined
            reject(
              new InternalError(`${store} is in use by another tab: localStorage is not consistent across tabs, so only one may count usage`, {
                hint: 'close the other tab, or use indexedDbStore, which many tabs may share',
              }),
            )
            return Promise.resolve()
          }
          resolve()
          return new Promise<void>(() => {})
        })
        .catch((error: unknown) => {
          // Web Locks refused (an opaque origin, a document that is going away): asked again next time, and coded.
          claimed = undefined
          reject(new InternalError(`${store} could not take its tab lock: ${(error as Error)?.message ?? String(error)}`, { cause: causeOf(error), hint: 'use the store from a page of its own origin' }))
        })
    }))
}
