// A page for stores.browser.test.ts: each tab of it reserves calls of one session in a real
// browser store, as keyleash does before it signs, and says how many it got.
import { recoverMessageAddress, type Address, type Hex } from 'viem'
import { keyState } from '../../../src/sessions/keyState.js'
import { indexedDbStore } from '../../../src/sessions/stores/indexedDbStore.js'
import type { StoreOptions } from '../../../src/sessions/stores/options.js'
import { webStorageStore } from '../../../src/sessions/stores/webStorageStore.js'
import type { ResealReturnType } from '../../../src/sessions/stores/persistentStore.js'
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
      /** Stores a session and a fresh key in `namespace` under `encryptionKey`; resolves to the key's address. */
      grantUnder(kind: Kind, namespace: string, encryptionKey: Hex): Promise<Address>
      /**
       * Opens `namespace` as a restarted page would, with these keys: re-seals everything first
       * if asked, then reads the session, signs with its key and counts a call.
       */
      useUnder(kind: Kind, namespace: string, keyAddress: Address, keys: Pick<StoreOptions, 'encryptionKey' | 'previousEncryptionKeys'>, reseal: boolean): Promise<Used>
    }
  }
}

type Used = {
  resealed: ResealReturnType | undefined
  status: string | undefined
  calls: number | undefined
  key: string
  signedBy: Address | undefined
  errors: string[]
}

const rotated = '0x07a7ed'
const openUnder = (kind: Kind, options: StoreOptions) => (kind === 'indexedDbStore' ? indexedDbStore(options) : webStorageStore(localStorage, options))

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
  async grantUnder(kind, namespace, encryptionKey) {
    const store = openUnder(kind, { namespace, encryptionKey })
    const keyAddress = await store.keys.generate()
    await store.put(sessionFixture({ id: rotated, keyAddress }))
    return keyAddress
  },
  async useUnder(kind, namespace, keyAddress, keys, reseal) {
    const errors: string[] = []
    const store = openUnder(kind, { namespace, ...keys, onError: (error) => errors.push(error.message) })
    const resealed = reseal ? await store.reseal() : undefined
    const session = await store.get(rotated)
    const key = await keyState(store, { keyAddress })
    const signature = key.kind === 'signer' ? await key.signer.signMessage({ message: 'rotated' }) : undefined
    const signedBy = signature === undefined ? undefined : await recoverMessageAddress({ message: 'rotated', signature })
    // A record the store refuses cannot be updated (it says so): count only on one it reads.
    const used = session === undefined ? undefined : await store.update(rotated, (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
    return { resealed, status: session?.status, calls: used?.usage.calls, key: key.kind, signedBy, errors }
  },
}
document.body.dataset.ready = 'true'
