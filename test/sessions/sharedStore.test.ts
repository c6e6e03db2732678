import { getAddress, type Address } from 'viem'
import { describe, expect, test } from 'vitest'
import { devWalletDialects } from '../../src/devwallet/dialects.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { nft, now, scriptedWallet } from '../utils/scriptedWallet.js'
import { erc7715v2025Requests, executionPermissionRequests } from '../../src/permissions/dialects/index.js'
import { rejectionOf } from '../utils/rejection.js'

/*
 * One store, two users (the README's Redis setup): each provider sees, checks and revokes the
 * sessions of its own wallet's accounts only, and learns nothing of the other's.
 */

const alice: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const bob: Address = getAddress('0x70997970c51812dc3a010c7d01b3093b7dc4c7c8')
const seedGrant = { expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }] }

async function twoUsers() {
  const store = memoryStore()
  // Bob's wallet numbers its contexts from 0x0100, so the two never grant the same one.
  let bobs = 0x100
  const aliceWallet = scriptedWallet('erc7715', { eth_accounts: [alice], wallet_revokeExecutionPermission: {} })
  const bobWallet = scriptedWallet('erc7715', {
    eth_accounts: [bob],
    wallet_grantPermissions: ([request]: { expiry: number; permissions: unknown }[]) => ({
      expiry: request?.expiry,
      grantedPermissions: request?.permissions,
      permissionsContext: `0x0${(bobs++).toString(16)}`,
    }),
  })
  const options = { store, now: () => now, wallet: devWalletDialects.erc7715, requests: [erc7715v2025Requests, executionPermissionRequests] }
  const a = withSessionKeys(aliceWallet, options)
  const b = withSessionKeys(bobWallet, options)
  const { permissionsContext: bobsContext } = (await b.request({ method: 'wallet_grantPermissions', params: [seedGrant] })) as { permissionsContext: string }
  const bobsKey = (await store.get(bobsContext))?.keyAddress as Address
  return { store, a, b, aliceWallet, bobsContext, bobsKey }
}

describe('a store shared by two users', () => {
  test('behavior: A lists nothing of B (sessions.list, wallet_getPermissions, wallet_getGrantedExecutionPermissions); B lists its own', async () => {
    const { a, b, bobsContext } = await twoUsers()
    expect(await a.sessions.list()).toStrictEqual([])
    expect(await a.sessions.list({ account: bob })).toStrictEqual([])
    expect(await a.request({ method: 'wallet_getPermissions' })).toStrictEqual([])
    expect(await a.request({ method: 'wallet_getGrantedExecutionPermissions' })).toStrictEqual([])
    expect((await b.sessions.list()).map((s) => s.id)).toStrictEqual([bobsContext])
    expect(((await b.request({ method: 'wallet_getPermissions' })) as { context: string }[]).map((p) => p.context)).toStrictEqual([bobsContext])
  })

  test('error: A cannot get, check or revoke B\'s session, by id or by key address, and is told what it would be told of none', async () => {
    const { store, a, bobsContext, bobsKey } = await twoUsers()
    expect(await a.sessions.get(bobsContext)).toBeUndefined()
    for (const id of [bobsContext, bobsKey]) {
      expect(await rejectionOf(a.sessions.check(id, [{ to: nft, data: '0x6a627842' }]))).toMatchObject({
        code: -32602,
        message: `id: ${id} names no session keyleash holds for this provider's accounts`,
      })
      for (const options of [undefined, { wallet: false }])
        expect(await rejectionOf(a.sessions.revoke(id, options))).toMatchObject({
          code: -32602,
          message: `id: ${id} names no session keyleash holds for this provider's accounts`,
        })
    }
    expect((await store.get(bobsContext))?.status).toBe('active')
    expect(await store.keys.has(bobsKey)).toBe(true)
  })

  test('behavior: a revoke RPC for B\'s context (or key) from A goes to A\'s wallet untouched; B\'s session stays active', async () => {
    const { store, a, aliceWallet, bobsContext, bobsKey } = await twoUsers()
    for (const method of ['wallet_revokePermissions', 'wallet_revokeExecutionPermission'])
      for (const permissionContext of [bobsContext, bobsKey]) {
        const params = [{ permissionContext }]
        await a.request({ method, params })
        expect(aliceWallet.paramsOf(method).at(-1)).toBe(params)
      }
    expect((await store.get(bobsContext))?.status).toBe('active')
    expect(await store.keys.has(bobsKey)).toBe(true)
  })

  test('behavior: the account option scopes a server-side provider without asking the wallet', async () => {
    const { store, bobsContext } = await twoUsers()
    const server = withSessionKeys(scriptedWallet('erc7715', { eth_accounts: [] }), { store, now: () => now, account: bob })
    expect((await server.sessions.list()).map((s) => s.id)).toStrictEqual([bobsContext])
    await server.sessions.revoke(bobsContext, { wallet: false })
    expect((await store.get(bobsContext))?.status).toBe('revoked')
  })
})
