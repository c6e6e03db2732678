import { createPublicClient, createWalletClient, custom, http } from 'viem'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { beforeAll, describe, expect, test, vi } from 'vitest'
import { devWalletDialects } from '../../src/devwallet/dialects.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { SessionStore } from '../../src/sessions/types.js'
import { nft, now, scriptedWallet } from '../utils/scriptedWallet.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { withSessionKeys } from '../../src/provider.js'
import * as wagmiEntry from '../../src/wagmi.js'
import { revokeOnDisconnect } from '../../src/wagmi/revokeOnDisconnect.js'
import { useSharedChain } from '../utils/chain.js'

/*
 * The rule under the wagmi connector, on its own: a wallet that reports no account gets the
 * sessions of its accounts revoked; a wallet that only switches accounts keeps them.
 */

const { rpcUrl } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl) })
let wallet: DevWallet
let offset = 0

beforeAll(async () => {
  offset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
  wallet = await createDevWallet({ rpcUrl })
}, 30_000)

async function granted() {
  const provider = revokeOnDisconnect(withSessionKeys(wallet.provider, { now: () => Math.floor(Date.now() / 1000) + offset }))
  const client = createWalletClient({ chain: anvil, transport: custom(provider) }).extend(erc7715Actions())
  await client.requestAddresses()
  const { permissionsContext } = await client.grantPermissions({
    expiry: 3600,
    permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }],
  })
  return { provider, context: permissionsContext }
}

test('default: keyleash/wagmi exports the connector wrapper and this rule, nothing else', () => {
  expect(Object.keys(wagmiEntry).sort()).toStrictEqual(['revokeOnDisconnect', 'withSessionKeysConnector'])
})

test('default: accountsChanged([]) revokes the active sessions of the accounts the wallet had, once each', async () => {
  const { provider, context } = await granted()
  const prompts = wallet.prompts
  const revoked = vi.fn()
  provider.on('sessionRevoked', revoked)
  wallet.provider.emit('accountsChanged', [])
  wallet.provider.emit('accountsChanged', [])
  await vi.waitFor(async () => expect((await provider.sessions.get(context))?.status).toBe('revoked'))
  expect(revoked).toHaveBeenCalledTimes(1)
  // Only ended here: the wallet that logged out is not asked, so nobody is prompted.
  expect(wallet.prompts).toBe(prompts)
})

test('behavior: switching to another account keeps the sessions (the user may switch back)', async () => {
  const { provider, context } = await granted()
  wallet.provider.emit('accountsChanged', ['0x00000000000000000000000000000000000000AA'])
  wallet.provider.emit('accountsChanged', [wallet.account])
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect((await provider.sessions.get(context))?.status).toBe('active')
})

test('behavior: the listener chain is the wrapper\'s: on() returns it, and removeListener really removes', async () => {
  const { provider } = await granted()
  const listener = vi.fn()
  expect(provider.on('chainChanged', listener)).toBe(provider)
  wallet.provider.emit('chainChanged', '0x1')
  expect(provider.removeListener('chainChanged', listener)).toBe(provider)
  wallet.provider.emit('chainChanged', '0x2')
  expect(listener.mock.calls).toStrictEqual([['0x1']])
})

describe('failures', () => {
  /** keyleash over a scripted wallet, on a store whose session writes fail while `failing` is set. */
  async function flaky() {
    const store = memoryStore()
    let failing = false
    const failingStore: SessionStore = {
      ...store,
      update: async (id, change) => (failing ? Promise.reject(new Error('ECONNRESET: the store dropped the connection')) : store.update(id, change)),
    }
    const inner = scriptedWallet('erc7715')
    const errors: [string, string][] = []
    const provider = revokeOnDisconnect(withSessionKeys(inner, { store: failingStore, now: () => now, wallet: devWalletDialects.erc7715 }), {
      onError: (error, context) => errors.push([context, (error as Error).message]),
    })
    await provider.request({ method: 'eth_accounts' })
    const grant = async () =>
      ((await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [] }] }] })) as { permissionsContext: string })
        .permissionsContext
    return { store, inner, provider, errors, grant, fail: (on: boolean) => (failing = on) }
  }

  test('error: a revoke that fails at one disconnect is reported per session, and the next disconnect still revokes', async () => {
    const { store, inner, errors, grant, fail } = await flaky()
    const [first, second] = [await grant(), await grant()]
    fail(true)
    inner.emit('accountsChanged', [])
    await vi.waitFor(() => expect(errors).toHaveLength(2))
    expect(errors).toStrictEqual([
      [first, 'the session could not be marked revoked in the store: ECONNRESET: the store dropped the connection'],
      [second, 'the session could not be marked revoked in the store: ECONNRESET: the store dropped the connection'],
    ])
    fail(false)
    inner.emit('accountsChanged', [])
    await vi.waitFor(async () => expect((await store.list()).map((s) => s.status)).toStrictEqual(['revoked', 'revoked']))
    expect(errors).toHaveLength(2)
  })

  test('behavior: an onError that throws stops neither the other sessions nor later disconnects (no unhandled rejection)', async () => {
    const store = memoryStore()
    const inner = scriptedWallet('erc7715')
    const provider = revokeOnDisconnect(withSessionKeys(inner, { store, now: () => now, wallet: devWalletDialects.erc7715 }), {
      onError: () => {
        throw new Error('app handler bug')
      },
    })
    await provider.request({ method: 'eth_accounts' })
    const { permissionsContext } = (await provider.request({
      method: 'wallet_grantPermissions',
      params: [{ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [] }] }],
    })) as { permissionsContext: string }
    const realUpdate = store.update
    store.update = async () => Promise.reject(new Error('down'))
    inner.emit('accountsChanged', [])
    await new Promise((resolve) => setTimeout(resolve, 20))
    store.update = realUpdate
    inner.emit('accountsChanged', [])
    await vi.waitFor(async () => expect((await store.get(permissionsContext))?.status).toBe('revoked'))
  })
})
