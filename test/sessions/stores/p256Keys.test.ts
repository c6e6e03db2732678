import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory } from 'fake-indexeddb'
import { afterAll, describe, expect, test } from 'vitest'
import { withSessionKeys } from '../../../src/provider.js'
import { p256Keys } from '../../../src/sessions/p256Keys.js'
import { fileStore } from '../../../src/sessions/stores/fileStore.js'
import { webStorageStore } from '../../../src/sessions/stores/webStorageStore.js'
import { rejection } from '../../utils/rejection.js'
import { MemoryStorage, memoryLocks } from './browserFakes.js'

/*
 * Which stores hold a P-256 key: those that can keep a non-extractable CryptoKey (memory,
 * IndexedDB). Web storage holds strings, and a file or Redis would need the key's bytes: each
 * refuses `keyType: p256Keys()` when the provider is made, and refuses to make one.
 */

const folder = mkdtempSync(join(tmpdir(), 'keyleash-p256-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))
const inner = { request: async () => null }

describe('stores that cannot hold a CryptoKey', () => {
  const stores = {
    webStorageStore: () => webStorageStore(new MemoryStorage(), { indexedDB: new IDBFactory(), locks: memoryLocks() }),
    fileStore: () => fileStore(join(folder, 'sessions.jsonl'), { plaintextKeys: true }),
  }
  for (const [name, make] of Object.entries(stores))
    test(`error: ${name} with keyType p256Keys() is refused at setup, naming the stores that can`, async () => {
      const store = make()
      expect(store.keys.keyTypes).toBeUndefined()
      expect(rejection(() => withSessionKeys(inner, { store, keyType: p256Keys() }))).toMatchInlineSnapshot(`
        {
          "code": -32602,
          "message": "keyType: is p256Keys(), but this store cannot keep a non-extractable CryptoKey: web storage holds only strings, and a file or Redis cannot hold a key that never leaves the process",
        }
      `)
      await expect(store.keys.generate(p256Keys())).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/^keyType: .* cannot keep a non-extractable CryptoKey$/) })
    })
})
