import { causeOf, InternalError } from '../../errors.js'
import type { CryptoKeyVault } from './p256Entry.js'

/** The object stores of a keyleash IndexedDB database. */
export const objectStores = { sessions: 'sessions', keys: 'keys', meta: 'meta' } as const

/**
 * Opens (creating on first use) a keyleash IndexedDB database with its three object
 * stores. Raw IndexedDB rather than a wrapper library: `update` needs a read and a write in
 * one readwrite transaction (what makes it atomic across tabs), and the wrapping key is a
 * `CryptoKey` stored as is; both are a few lines here and no dependency in the bundle.
 *
 * `onClose` is called when the connection ends under the page: another tab deletes or
 * upgrades the database, or the user clears site data. Open again on next use.
 *
 * @example
 * const db = await openDatabase('keyleash', indexedDB, () => { opened = undefined })
 */
export function openDatabase(name: string, factory: IDBFactory, onClose: () => void = () => {}): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest
    try {
      request = factory.open(name, 1)
    } catch (error) {
      // Thrown at once where the page may not use IndexedDB (an opaque origin, storage blocked, a
      // third-party frame): a DOMException whose legacy numeric `code` (18) would pass for a JSON-RPC code.
      return reject(new InternalError(`IndexedDB database ${name} did not open: ${(error as Error).message}`, { cause: causeOf(error), hint: openHint }))
    }
    request.onupgradeneeded = () => {
      const db = request.result
      for (const store of Object.values(objectStores)) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store)
    }
    request.onsuccess = () => {
      const db = request.result
      // Another tab deleting or upgrading the database: let it, and open again on next use.
      db.onversionchange = () => {
        db.close()
        onClose()
      }
      db.onclose = onClose
      resolve(db)
    }
    request.onerror = () => reject(new InternalError(`IndexedDB database ${name} did not open: ${request.error?.message ?? 'unknown error'}`, { hint: openHint }))
    request.onblocked = () => reject(new InternalError(`IndexedDB database ${name} is blocked by another tab`, { hint: 'close other tabs of this app and reload' }))
  })
}

const openHint = 'private browsing, storage settings or a third-party frame may block IndexedDB'

/**
 * One connection to database `name`, opened on first use and opened again after it ended
 * under the page (see {@link openDatabase}); a failed open is retried on next use.
 *
 * @example
 * const db = databaseConnection('keyleash', indexedDB)
 * await transact(await db(), ['sessions'], 'readonly', body)
 */
export function databaseConnection(name: string, factory: IDBFactory): () => Promise<IDBDatabase> {
  let opened: Promise<IDBDatabase> | undefined
  const forget = () => {
    opened = undefined
  }
  return () =>
    (opened ??= openDatabase(name, factory, forget).catch((error: unknown) => {
      forget()
      throw error
    }))
}

/** What a {@link transact} body gets: the transaction, and the two ways it goes on. */
export type Step<T> = {
  tx: IDBTransaction
  /** Sets what the transaction resolves to once it has committed. */
  done(result: T): void
  /** Calls `then` with `request`'s result, inside the transaction; a throw aborts it. */
  after<R>(request: IDBRequest<R>, then: (value: R) => void): void
}

/**
 * Runs `body` in one transaction and resolves with what it set once the transaction has
 * committed, a write flushed to disk (so it is durable before the caller goes on); rejects if it aborts, with
 * the error `body` (or a step of it) threw, if one did.
 *
 * @example
 * const value = await transact(db, ['sessions'], 'readonly', ({ tx, after, done }) =>
 *   after(tx.objectStore('sessions').get(id), done))
 */
export function transact<T>(db: IDBDatabase, stores: readonly string[], mode: IDBTransactionMode, body: (step: Step<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let tx: IDBTransaction
    try {
      // Strict: `complete` once the write is on disk, not in the OS's buffers (browsers default to
      // relaxed): a usage count or a revoke a power cut took back would let a session sign again.
      tx = db.transaction([...stores], mode, mode === 'readwrite' ? { durability: 'strict' } : undefined)
    } catch (error) {
      // A DOMException (InvalidStateError once the connection closed) carries a legacy numeric
      // `code` (11) that would pass for a JSON-RPC code: report it as what it is, a -32603.
      return reject(new InternalError(`IndexedDB refused a transaction: ${(error as Error).message}`, { cause: causeOf(error), hint: 'retry: the store opens the database again' }))
    }
    let result: T | undefined
    let thrown: { error: unknown } | undefined
    tx.oncomplete = () => resolve(result as T)
    tx.onabort = () => reject(thrown ? thrown.error : new InternalError(`IndexedDB transaction aborted: ${tx.error?.message ?? 'unknown error'}`))
    const guard = (run: () => void) => {
      try {
        run()
      } catch (error) {
        thrown = { error }
        tx.abort()
      }
    }
    guard(() =>
      body({
        tx,
        done: (value) => {
          result = value
        },
        after: (request, then) => {
          request.onsuccess = () => guard(() => then(request.result))
        },
      }),
    )
  })
}

/**
 * The non-extractable AES-GCM key that seals session keys in the browser, kept in the
 * database's `meta` store. Its bytes cannot be exported, so a copy of the disk or of the
 * storage opens nothing; but any script running in this origin (an XSS, a compromised
 * dependency) can read it from IndexedDB and call `crypto.subtle.decrypt` with it, and so
 * recover session keys. Made on first use; when two tabs race, the first `add`
 * wins and the other reads it.
 *
 * @example
 * const key = await wrappingKey(db)
 */
export async function wrappingKey(db: IDBDatabase): Promise<CryptoKey> {
  const name = 'wrapping-key'
  const read = () =>
    transact<CryptoKey | undefined>(db, [objectStores.meta], 'readonly', ({ tx, after, done }) =>
      after(tx.objectStore(objectStores.meta).get(name) as IDBRequest<CryptoKey | undefined>, done),
    )
  const existing = await read()
  if (existing !== undefined) return existing
  const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  try {
    await transact<void>(db, [objectStores.meta], 'readwrite', ({ tx }) => {
      tx.objectStore(objectStores.meta).add(made, name)
    })
    return made
  } catch {
    const raced = await read()
    if (raced === undefined) throw new InternalError('the IndexedDB wrapping key could not be stored', { hint: 'check that IndexedDB is writable (not blocked by the browser)' })
    return raced
  }
}

/**
 * The wrapping key of the database `db()` has open now, read once per connection: after the
 * database was deleted or site data cleared, the reopened database makes (and stores) a new
 * one, so keys sealed from then on still open after a reload.
 *
 * @example
 * const currentKey = wrappingKeyOf(databaseConnection('keyleash', indexedDB))
 * const key = await currentKey()
 */
export function wrappingKeyOf(db: () => Promise<IDBDatabase>): () => Promise<CryptoKey> {
  let current: { db: IDBDatabase; key: Promise<CryptoKey> } | undefined
  return async () => {
    const open = await db()
    if (current?.db !== open) {
      const key = wrappingKey(open)
      current = { db: open, key }
      key.catch(() => {
        if (current?.key === key) current = undefined
      })
    }
    return current.key
  }
}

/**
 * The `CryptoKey`s of a store's P-256 keys, in the database's `meta` store under
 * `p256 <partition> <address>`: IndexedDB keeps a `CryptoKey` by structured clone, so it
 * signs after a reload and stays non-extractable; its bytes are never written by anyone.
 *
 * @example
 * const vault = cryptoKeyVault(databaseConnection('keyleash', indexedDB), 'keyleash')
 */
export function cryptoKeyVault(db: () => Promise<IDBDatabase>, partition: string): CryptoKeyVault {
  const { meta } = objectStores
  const name = (address: string) => `p256\u0000${partition}\u0000${address}`
  const write = async (change: (store: IDBObjectStore) => void) => transact<void>(await db(), [meta], 'readwrite', ({ tx }) => change(tx.objectStore(meta)))
  return {
    put: (address, key) => write((store) => store.put(key, name(address))),
    async get(address) {
      return transact<CryptoKey | undefined>(await db(), [meta], 'readonly', ({ tx, after, done }) =>
        after(tx.objectStore(meta).get(name(address)) as IDBRequest<unknown>, (value) => done(value instanceof CryptoKey ? value : undefined)),
      )
    },
    delete: (address) => write((store) => store.delete(name(address))),
  }
}
