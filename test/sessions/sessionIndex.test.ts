import { encodeFunctionData, parseAbi, type Address, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { candidates, routeTargets } from '../../src/sessions/pickSession.js'
import { sessionIndex } from '../../src/sessions/sessionIndex.js'
import type { Session, SessionStore } from '../../src/sessions/types.js'
import { scriptedPreparer } from '../utils/scriptedPreparer.js'
import { account, chainId, nft, now, scriptedWallet, token } from '../utils/scriptedWallet.js'
import { sessionFixture } from '../utils/sessionFixture.js'
import { autoRouting } from '../../src/sessions/autoRouting.js'

const mint: Hex = encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account] })

/** A memory store that counts how often it is listed. */
function countingStore(): SessionStore & { lists: number } {
  const store = memoryStore()
  const counting = {
    ...store,
    lists: 0,
    list: () => {
      counting.lists++
      return store.list()
    },
  }
  return counting
}

/**
 * A provider over `store` with auto-routing, and what a test drives it with. Its wallet's
 * contexts start with `prefix`, so two instances on one store never grant the same id.
 */
function setup(store: SessionStore, clock: () => number = () => now, prefix = '0xa') {
  const preparer = scriptedPreparer()
  let granted = 0
  const inner = scriptedWallet('erc7715', {
    ...preparer.script,
    wallet_sendCalls: { id: '0xwallet' },
    wallet_grantPermissions: ([request]: [{ expiry: number; permissions: unknown }]) => ({
      expiry: request.expiry,
      grantedPermissions: request.permissions,
      permissionsContext: `${prefix}${++granted}`,
    }),
  })
  const provider = withSessionKeys(inner, { now: clock, store, autoRoute: autoRouting() })
  const grant = async (key: Address, target: Address = nft) =>
    (
      (await provider.request({
        method: 'wallet_grantPermissions',
        params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: target, calls: ['mint(address)'] } }] }],
      })) as { permissionsContext: string }
    ).permissionsContext
  const route = () => provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data: mint }] }] })
  return { provider, inner, grant, route, sent: preparer.sent }
}

function signing(overrides: Partial<Session>): Session {
  return sessionFixture({ chainId, account, permissions: [{ type: 'contract-call', target: nft, selectors: 'any' }], policies: [], expiry: now + 60, ...overrides })
}

describe('sessionIndex', () => {
  test('default: candidates are the live signing sessions on the target, newest first, read lazily', async () => {
    const store = memoryStore()
    const keyAddress = await store.keys.generate()
    await store.put(signing({ id: '0xold', keyAddress, createdAt: now - 2 }))
    await store.put(signing({ id: '0xnew', keyAddress, createdAt: now - 1 }))
    await store.put(signing({ id: '0xrevoked', keyAddress, status: 'revoked', createdAt: now }))
    await store.put(signing({ id: '0xexpired', keyAddress, expiry: now, createdAt: now }))
    await store.put(signing({ id: '0xnokey', createdAt: now }))
    await store.put(signing({ id: '0xtoken', keyAddress, permissions: [{ type: 'contract-call', target: token, selectors: 'any' }] }))
    const index = sessionIndex(store, routeTargets)
    const found = await candidates(index, chainId, account, [{ to: nft, data: mint }], now)
    expect([...found].map((s) => s.id)).toStrictEqual(['0xnew', '0xold'])
    const walk = (await candidates(index, chainId, account, [{ to: nft, data: mint }], now))[Symbol.iterator]()
    expect(walk.next().value?.id).toBe('0xnew')
    expect([...(await index.liveByKey(keyAddress, now))].map((s) => s.id).sort()).toStrictEqual(['0xnew', '0xold', '0xtoken'])
    expect((await index.byKey(keyAddress)).map((s) => s.id).sort()).toStrictEqual(['0xexpired', '0xnew', '0xold', '0xrevoked', '0xtoken'])
  })

  test('behavior: grants and revokes update the index one session at a time: the store is listed once, on first use', async () => {
    const store = countingStore()
    const { provider, grant, route, sent } = setup(store)
    const key = await provider.sessions.importKey(generatePrivateKey())
    const contexts: string[] = []
    for (let i = 0; i < 5; i++) {
      contexts.push(await grant(key))
      await route()
    }
    expect(sent.map((batch) => batch.signer)).toStrictEqual(Array(5).fill(key))
    // The newest session signs an auto-routed call; once revoked, the next newest does.
    await provider.sessions.revoke(contexts[4]!)
    await provider.sessions.revoke(contexts[3]!)
    await route()
    expect((await provider.sessions.get(contexts[2]!))!.usage.calls).toBe(2)
    expect(await store.keys.has(key)).toBe(true)
    expect(store.lists).toBe(1)
  })

  test('behavior: revoke deletes a shared key with the last live session that uses it, without listing the store', async () => {
    const store = countingStore()
    const { provider, grant, route } = setup(store)
    await route() // builds the index
    const key = await provider.sessions.importKey(generatePrivateKey())
    const [first, second] = [await grant(key), await grant(key)]
    await provider.sessions.revoke(first)
    expect(await store.keys.has(key)).toBe(true)
    await provider.sessions.revoke(second)
    expect(await store.keys.has(key)).toBe(false)
    // Only the miss after the last revoke looked again, for a session another instance may have granted.
    expect(store.lists).toBe(2)
  })

  test('behavior: a session another instance granted on the same store is routed to after a miss', async () => {
    let clock = now
    const store = memoryStore()
    const a = setup(store, () => clock)
    const b = setup(store, () => clock, '0xb')
    expect(await b.route()).toStrictEqual({ id: '0xwallet' }) // B's index is built: no session yet
    await a.grant(await a.provider.sessions.importKey(generatePrivateKey()))
    clock += 1
    expect(await b.route()).not.toStrictEqual({ id: '0xwallet' })
    expect(b.sent).toHaveLength(1)
  })

  test('behavior: revoke keeps a key that a session another instance granted on the same store still uses', async () => {
    let clock = now
    const store = memoryStore()
    const a = setup(store, () => clock)
    const b = setup(store, () => clock, '0xb')
    const key = await a.provider.sessions.importKey(generatePrivateKey())
    const mine = await b.grant(key, token)
    await b.route() // B's index is built, without A's session to come
    await a.grant(key)
    clock += 1
    await b.provider.sessions.revoke(mine)
    expect(await store.keys.has(key)).toBe(true)
    expect((await b.provider.sessions.list({ status: 'active' })).map((s) => s.id)).toStrictEqual(['0xa1'])
  })

  test('behavior: a session another instance revoked signs nothing more, whatever this instance last read: the calls it no longer covers go to the wallet', async () => {
    const store = memoryStore()
    const a = setup(store)
    const b = setup(store, () => now, '0xb')
    const key = await a.provider.sessions.importKey(generatePrivateKey())
    const context = await a.grant(key)
    await b.route()
    await a.provider.sessions.revoke(context, { wallet: false })
    expect(await b.route()).toStrictEqual({ id: '0xwallet' })
    expect(b.sent).toHaveLength(1)
  })

  test('behavior: a session is found by its key address (Openfort revokes by it), also one another instance granted', async () => {
    let clock = now
    const store = memoryStore()
    const a = setup(store, () => clock)
    const b = setup(store, () => clock, '0xb')
    await b.route()
    const key = await a.provider.sessions.importKey(generatePrivateKey())
    const context = await a.grant(key)
    clock += 1
    await b.provider.sessions.revoke(key.toLowerCase(), { wallet: false })
    expect((await store.get(context))!.status).toBe('revoked')
  })
})
