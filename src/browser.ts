/**
 * `keyleash/browser`: session stores that survive a page reload. IndexedDB (atomic across
 * tabs) or web storage; keys are sealed by default under a non-extractable WebCrypto key.
 * Their own entry, like `keyleash/node`, so an app that keeps the memory store ships none of it.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { indexedDbStore } from 'keyleash/browser'
 *
 * const provider = withSessionKeys(window.ethereum, { store: indexedDbStore() })
 *
 * @module
 */
export { indexedDbStore, type IndexedDbStoreOptions } from './sessions/stores/indexedDbStore.js'
export { webStorageStore, type WebLocks, type WebStorageStoreOptions } from './sessions/stores/webStorageStore.js'
