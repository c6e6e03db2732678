import type { WebLocks } from '../../../src/sessions/stores/webStorageStore.js'

/** `localStorage` as browsers implement it, in memory: string items, in insertion order. */
export class MemoryStorage implements Storage {
  readonly items = new Map<string, string>();
  [name: string]: unknown
  get length(): number {
    return this.items.size
  }
  clear(): void {
    this.items.clear()
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value))
  }
}

/** Web Locks as the browser grants them: one holder per name, the others queue. */
export function memoryLocks(): WebLocks & { granted: number } {
  const tails = new Map<string, Promise<unknown>>()
  const held = new Set<string>()
  const locks = {
    granted: 0,
    request<T>(name: string, ...args: [() => Promise<T>] | [{ ifAvailable: true }, (lock: unknown) => Promise<T>]): Promise<T> {
      const callback = (args.length === 1 ? args[0] : args[1]) as (lock: unknown) => Promise<T>
      if (args.length === 2 && held.has(name)) return callback(null)
      const run = () => {
        locks.granted++
        held.add(name)
        const result = callback({ name })
        result.then(
          () => held.delete(name),
          () => held.delete(name),
        )
        return result
      }
      const result = (tails.get(name) ?? Promise.resolve()).then(run, run)
      tails.set(name, result.catch(() => undefined))
      return result
    },
  }
  return locks as WebLocks & { granted: number }
}

/** Everything an IndexedDB database holds, as text (CryptoKeys show as what they expose). */
export async function dumpDatabase(factory: IDBFactory, name: string): Promise<string> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  const names = Array.from({ length: db.objectStoreNames.length }, (_, i) => db.objectStoreNames.item(i) as string)
  const tx = db.transaction(names, 'readonly')
  const parts = await Promise.all(
    names.map(
      (store) =>
        new Promise<string>((resolve) => {
          const request = tx.objectStore(store).getAll()
          request.onsuccess = () => resolve(request.result.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join('\n'))
        }),
    ),
  )
  db.close()
  return parts.join('\n')
}

/** Deletes an IndexedDB database as another tab (or "clear site data") would, and waits for it. */
export function deleteDatabase(indexedDB: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  })
}
