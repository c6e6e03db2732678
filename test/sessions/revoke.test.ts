import type { Address } from 'viem'
import { describe, expect, test } from 'vitest'
import { devWalletDialects } from '../../src/devwallet/dialects.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { SessionStore } from '../../src/sessions/types.js'
import { nft, now, scriptedWallet } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'

const seedGrant = { expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }] }

/** A memory store whose key deletes fail `failures` times (Infinity: always), counting the attempts. */
function flakyKeyDeletes(failures: number) {
  const store = memoryStore()
  let attempts = 0
  const flaky: SessionStore = {
    ...store,
    keys: {
      ...store.keys,
      async delete(address) {
        if (attempts++ < failures) throw new Error('EBUSY: the disk is busy')
        return store.keys.delete(address)
      },
    },
  }
  return { store: flaky, attempts: () => attempts }
}

async function granted(store: SessionStore) {
  const inner = scriptedWallet('erc7715')
  const provider = withSessionKeys(inner, { now: () => now, wallet: devWalletDialects.erc7715, store })
  const { permissionsContext } = (await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant] })) as { permissionsContext: string }
  const key = (await store.get(permissionsContext))?.keyAddress as Address
  return { inner, provider, id: permissionsContext, key }
}

describe('revoking with a failing key delete', () => {
  test('error: a key that cannot be deleted leaves the session revoked, is retried, reported -32603, and the wallet is still asked', async () => {
    const { store, attempts } = flakyKeyDeletes(Infinity)
    const { inner, provider, id, key } = await granted(store)
    const error = await rejectionOf(provider.sessions.revoke(id))
    expect(error.code).toBe(-32603)
    expect(error.message).toBe(
      `the session is revoked (nothing signs under it), but its key ${key} could not be deleted after 3 attempts: EBUSY: the disk is busy`,
    )
    expect(error.data).toMatchObject({ context: id })
    expect(attempts()).toBe(3)
    expect((await provider.sessions.get(id))?.status).toBe('revoked')
    expect(inner.paramsOf('wallet_revokePermissions')).toStrictEqual([[{ permissionContext: id }]])
  })

  test('behavior: a key delete that fails once is retried and the revoke succeeds', async () => {
    const { store } = flakyKeyDeletes(1)
    const { provider, id, key } = await granted(store)
    await provider.sessions.revoke(id)
    expect((await provider.sessions.get(id))?.status).toBe('revoked')
    expect(await store.keys.has(key)).toBe(false)
  })

  test('error: both the key delete and the wallet fail: the wallet\'s code, both failures said', async () => {
    const { store } = flakyKeyDeletes(Infinity)
    const { inner, provider, id, key } = await granted(store)
    inner.script({ wallet_revokePermissions: Object.assign(new Error('Disconnected'), { code: 4900 }) })
    const error = await rejectionOf(provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: id }] }))
    expect(error.code).toBe(4900)
    expect(error.message).toBe(
      `the session was revoked here, but the wallet did not revoke it: Disconnected; the session is revoked (nothing signs under it), but its key ${key} could not be deleted after 3 attempts: EBUSY: the disk is busy`,
    )
    expect((await provider.sessions.get(id))?.status).toBe('revoked')
  })

  test('behavior: the session is marked revoked before its key is touched', async () => {
    const store = memoryStore()
    const order: string[] = []
    const watched: SessionStore = {
      ...store,
      update: async (id, change) => {
        order.push('mark')
        return store.update(id, change)
      },
      keys: { ...store.keys, delete: async (address) => (order.push('key'), store.keys.delete(address)) },
    }
    const { provider, id } = await granted(watched)
    order.length = 0
    await provider.sessions.revoke(id, { wallet: false })
    expect(order).toStrictEqual(['mark', 'key'])
  })
})
