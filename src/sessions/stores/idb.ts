import { InternalError } from '../../errors.js'

/** The object stores of a keyleash IndexedDB database. */
export const objectStores = { sessions: 'sessions', keys: 'keys', meta: 'meta' } as const

/**
 * Opens (creating on first use) a keyleash IndexedDB database with its three object
 * stores. Raw IndexedDB rather than a wrapper library: `update` needs a read and a write in
 * one readwrite transaction (what makes it atomic across tabs), and the wrapping key is a
 * `CryptoKey` stored as is; both are a few lines here and no dependency in the bundle.
 *
 * @example
 * const db = await openDatabase('keyleash', indexedDB)
 */
export function openDatabase(name: string, factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, 1)
    request.onupgradeneeded = () => {
      const db = request.result
      for (const store of Object.values(objectStores)) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store)
    }
    request.onsuccess = () => {
      const db = request.result
      // Another tab upgrading the schema: let it, and open again on next use.
      db.onversionchange = () => db.close()
      resolve(db)
    }
    request.onerror = () => reject(new InternalError(`IndexedDB database ${name} did not open: ${request.error?.message ?? 'unknown error'}`, { hint: 'private browsing or storage settings may block IndexedDB' }))
    request.onblocked = () => reject(new InternalError(`IndexedDB database ${name} is blocked by another tab`, { hint: 'close other tabs of this app and reload' }))
  })
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
 * committed (so a write is durable before the caller goes on); rejects if it aborts, with
 * the error `body` (or a step of it) threw, if one did.
 *
 * @example
 * const value = await transact(db, ['sessions'], 'readonly', ({ tx, after, done }) =>
 *   after(tx.objectStore('sessions').get(id), done))
 */
export function transact<T>(db: IDBDatabase, stores: readonly string[], mode: IDBTransactionMode, body: (step: Step<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction([...stores], mode)
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
 * database's `meta` store: the page can use it to encrypt and decrypt, but no script (and
 * no XSS) can read its bytes out. Made on first use; when two tabs race, the first `add`
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
