/**
 * The browser-safe stores and their parts, for `keyleash` (the core entry): nothing here
 * imports a Node module. The Node-only stores are in `./node.ts`.
 *
 * @example
 * import { indexedDbStore, webStorageStore, purgeSessions } from './sessions/stores/index.js'
 */
export { indexedDbStore, type IndexedDbStoreOptions } from './indexedDbStore.js'
export { webStorageStore, type WebLocks, type WebStorageStoreOptions } from './webStorageStore.js'
export { purgeSessions } from './purge.js'
export type { PersistentStore } from './persistentStore.js'
export type { StoreErrorHandler, StoreOptions } from './options.js'
export type { EncryptionKey } from './encryption.js'
