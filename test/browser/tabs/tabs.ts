// A page for stores.browser.test.ts: each tab of it reserves calls of one session in a real
// browser store, as keyleash does before it signs, and says how many it got.
import { indexedDbStore } from '../../../src/sessions/stores/indexedDbStore.js'
import { webStorageStore } from '../../../src/sessions/stores/webStorageStore.js'
import type { SessionStore } from '../../../src/sessions/types.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

type Kind = 'indexedDbStore' | 'webStorageStore'
const stores = new Map<Kind, SessionStore>()
const storeOf = (kind: Kind) => {
  let store = stores.get(kind)
  if (!store) stores.set(kind, (store = kind === 'indexedDbStore' ? indexedDbStore({ namespace: 'tabs' }) : webStorageStore(localStorage, { namespace: 'tabs' })))
  return store
}

declare global {
  interface Window {
    keyleashTabs: {
      grant(kind: Kind, limit: number): Promise<void>
      reserve(kind: Kind, attempts: number, limit: number): Promise<{ reserved: number; errors: string[] }>
      usage(kind: Kind): Promise<number | undefined>
      /** Deletes the database as another tab or "clear site data" would. */
      deleteDatabase(): Promise<void>
    }
  }
}

window.keyleashTabs = {
  async grant(kind, limit) {
    await storeOf(kind).put(sessionFixture({ policies: [{ type: 'call-limit', count: limit }] }))
  },
  async reserve(kind, attempts, limit) {
    const store = storeOf(kind)
    let reserved = 0
    const errors: string[] = []
    await Promise.all(
      Array.from({ length: attempts }, async () => {
        let mine = false
        try {
          await store.update('0xc0ffee', (session) => {
            mine = session.usage.calls < limit
            return mine ? { ...session, usage: { ...session.usage, calls: session.usage.calls + 1 } } : undefined
          })
          if (mine) reserved++
        } catch (error) {
          errors.push((error as Error).message)
        }
      }),
    )
    return { reserved, errors: [...new Set(errors)] }
  },
  async usage(kind) {
    return (await storeOf(kind).get('0xc0ffee'))?.usage.calls
  },
  deleteDatabase() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase('keyleash')
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
    })
  },
}
document.body.dataset.ready = 'true'
