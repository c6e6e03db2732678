import { IDBFactory } from 'fake-indexeddb'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { withSessionKeys } from '../../src/provider.js'
import { keyState } from '../../src/sessions/keyState.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { webStorageStore } from '../../src/sessions/stores/webStorageStore.js'
import { scriptedPreparer } from '../utils/scriptedPreparer.js'
import { account, grantMint, now, scriptedWallet, sendMint } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'
import { MemoryStorage, memoryLocks } from './stores/browserFakes.js'

describe('keyState', () => {
  test('default: a key the store opens is a signer; no key address, or a key it does not hold, is none', async () => {
    const store = memoryStore()
    const keyAddress = await store.keys.import(generatePrivateKey())
    expect((await keyState(store, { keyAddress })).kind).toBe('signer')
    expect((await keyState(store, { keyAddress: undefined })).kind).toBe('none')
    expect((await keyState(store, { keyAddress: account })).kind).toBe('none')
  })
})

describe('a session whose key the store holds but cannot open', () => {
  test('behavior: is listed as locked, not active, and a send under it is refused saying why', async () => {
    const storage = new MemoryStorage()
    const options = { indexedDB: new IDBFactory(), onError: () => {} }
    const store = webStorageStore(storage, { ...options, locks: memoryLocks() })
    const provider = withSessionKeys(scriptedWallet('erc7715', scriptedPreparer().script), { now: () => now, store })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const context = await grantMint(provider, key)
    expect((await provider.sessions.get(context))?.status).toBe('active')

    // The sealed key damaged at rest (or sealed under another key): still there, no longer opens.
    const item = `keyleash:k:${key.toLowerCase()}`
    const sealed = JSON.parse(storage.getItem(item) as string) as { ct: string }
    storage.setItem(item, JSON.stringify({ ...sealed, ct: `00${sealed.ct.slice(2)}` }))
    const reloaded = withSessionKeys(scriptedWallet('erc7715', scriptedPreparer().script), { now: () => now, store: webStorageStore(storage, { ...options, locks: memoryLocks() }) })

    expect((await reloaded.sessions.get(context))?.status).toBe('locked')
    expect((await reloaded.sessions.list({ status: 'locked' })).map((s) => s.id)).toStrictEqual([context])
    const error = await rejectionOf(
      sendMint(reloaded, context, '0x6a627842'),
    )
    expect(error.code).toBe(4100)
    expect(error.message).toBe(
      `session ${context}: its key is in the store but cannot be opened here; this store was given another encryptionKey than the one the key was sealed with (or the key is damaged)`,
    )
  })
})
