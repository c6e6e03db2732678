import { createWalletClient, custom, type Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { erc7715Actions } from 'viem/experimental'
import { describe, expect, test, vi } from 'vitest'
import { type DevWalletDialectName, devWalletDialects } from '../../src/devwallet/dialects.js'
import { withSessionKeys } from '../../src/provider.js'
import { erc7715v2025Requests, executionPermissionRequests } from '../../src/permissions/dialects/index.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { webStorageStore } from '../../src/sessions/stores/webStorageStore.js'
import type { SessionStore } from '../../src/sessions/types.js'
import { IDBFactory } from 'fake-indexeddb'
import { MemoryStorage } from './stores/browserFakes.js'
import { allowList } from '../../src/permissions/allowList.js'
import type { KeyleashOptions } from '../../src/options.js'
import { fail } from '../utils/scriptedProvider.js'
import { account, chainId, nft, now, scriptedWallet, token } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'

const day = 86_400
const mint = '0x6a627842'

/** The seed's request, as the app writes it for viem. */
function seedGrant(signer?: Address) {
  return {
    expiry: 60 * 60 * 24,
    ...(signer ? { signer: { type: 'account' as const, data: { id: signer } } } : {}),
    permissions: [{ type: 'contract-call' as const, data: { address: nft, calls: ['mint(address)'] }, policies: [] }],
  }
}

function setup(wallet: DevWalletDialectName = 'erc7715', options: KeyleashOptions = {}, inner = scriptedWallet(wallet)) {
  const store = options.store ?? memoryStore()
  const provider = withSessionKeys(inner, { now: () => now, wallet: devWalletDialects[wallet], store, ...options })
  const client = createWalletClient({ transport: custom(provider) }).extend(erc7715Actions())
  return { inner, store, provider, client }
}


describe('the seed, through viem', () => {
  test('default: an app-made key, imported, becomes a signing session; viem parses the answer', async () => {
    const { inner, provider, client, store } = setup()
    const privateKey = generatePrivateKey()
    const sessionKey = await provider.sessions.importKey(privateKey)
    expect(sessionKey).toBe(privateKeyToAccount(privateKey).address)

    const granted = await client.grantPermissions(seedGrant(sessionKey))

    expect(granted).toStrictEqual({
      expiry: now + day,
      grantedPermissions: [{ type: 'contract-call', data: { address: nft, calls: [mint] }, policies: [], required: true }],
      permissionsContext: '0x0001',
    })
    expect(inner.paramsOf('wallet_grantPermissions')).toStrictEqual([
      [
        {
          expiry: now + day,
          signer: { type: 'account', data: { id: sessionKey } },
          permissions: [{ type: 'contract-call', data: { address: nft, calls: [mint] }, policies: [], required: true }],
        },
      ],
    ])
    const [session] = await provider.sessions.list()
    expect(session).toMatchObject({ id: '0x0001', chainId, account, keyAddress: sessionKey, expiry: now + day, status: 'active', wallet: 'erc7715' })
    expect(await store.keys.has(sessionKey)).toBe(true)
    expect(JSON.stringify(inner.requests)).not.toContain(privateKey.slice(2))
  })

  test('behavior: with no signer, the middleware makes the key, sends only its address, and keeps the key', async () => {
    const { inner, provider, client, store } = setup()
    await client.grantPermissions(seedGrant())
    const [[sent]] = inner.paramsOf('wallet_grantPermissions') as [[{ signer: { type: string; data: { id: Address } } }]]
    expect(sent.signer.type).toBe('account')
    expect(await store.keys.has(sent.signer.data.id)).toBe(true)
    const [session] = await provider.sessions.list()
    expect(session?.keyAddress).toBe(sent.signer.data.id)
  })

  test('behavior: a signer whose key the store does not hold makes a session that is listed but never signs', async () => {
    const { provider, client } = setup()
    const stranger = privateKeyToAccount(generatePrivateKey()).address
    await client.grantPermissions(seedGrant(stranger))
    const [session] = await provider.sessions.list()
    expect(session?.signer).toStrictEqual({ type: 'account', address: stranger })
    expect(session?.keyAddress).toBeUndefined()
  })

  test('error: viem surfaces an invalid grant as InvalidParamsRpcError naming the field', async () => {
    const { inner, client } = setup()
    const error = await client
      .grantPermissions({ expiry: 60, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address'] }, policies: [] }] })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'InvalidParamsRpcError', code: -32602 })
    expect((error as Error).message).toContain('permissions[0].data.calls[0]: "mint(address" is not a function signature or selector')
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(0)
  })
})

describe.each(['erc7715', 'erc7715-2025', 'execution-permissions'] as const)('forwarded to a %s wallet', (wallet) => {
  test('default: the wallet receives the grant in its dialect; the app gets viem\'s shape', async () => {
    const { inner, provider, client } = setup(wallet)
    const sessionKey = await provider.sessions.importKey(generatePrivateKey())
    const granted = await client.grantPermissions(seedGrant(sessionKey))
    const method = wallet === 'execution-permissions' ? 'wallet_requestExecutionPermissions' : 'wallet_grantPermissions'
    const [params] = inner.paramsOf(method) as [unknown[]]
    const expected = {
      erc7715: { expiry: now + day, signer: { type: 'account', data: { id: sessionKey } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [mint] }, policies: [], required: true }] },
      'erc7715-2025': { chainId: '0x7a69', address: account, expiry: now + day, signer: { type: 'account', data: { address: sessionKey } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [mint] } }] },
      'execution-permissions': {
        chainId: '0x7a69',
        from: account,
        to: sessionKey,
        permission: { type: 'contract-call', isAdjustmentAllowed: true, data: { address: nft, calls: [mint] } },
        rules: [{ type: 'expiry', data: { timestamp: now + day } }],
      },
    }[wallet]
    expect(params).toStrictEqual([expected])
    expect(granted.expiry).toBe(now + day)
    expect(granted.grantedPermissions).toStrictEqual([{ type: 'contract-call', data: { address: nft, calls: [mint] }, policies: [], required: true }])
    const [session] = await provider.sessions.list()
    expect(session).toMatchObject({ id: granted.permissionsContext, wallet, keyAddress: sessionKey, expiry: now + day })
  })

  test('behavior: revoking reaches the wallet in its dialect and deletes the key first', async () => {
    const { inner, provider, client, store } = setup(wallet)
    const sessionKey = await provider.sessions.importKey(generatePrivateKey())
    const { permissionsContext } = await client.grantPermissions(seedGrant(sessionKey))
    const method = wallet === 'execution-permissions' ? 'wallet_revokeExecutionPermission' : 'wallet_revokePermissions'
    expect(await provider.request({ method, params: [{ permissionContext: permissionsContext }] })).toStrictEqual({})
    expect(inner.paramsOf(method)).toStrictEqual([[{ permissionContext: permissionsContext }]])
    expect(await store.keys.has(sessionKey)).toBe(false)
    expect((await provider.sessions.get(permissionsContext))?.status).toBe('revoked')
  })
})

describe('dialect by dialect', () => {
  test('behavior: a dialect of the app\'s own, with its own methods, grants and revokes through them', async () => {
    const acme = { ...devWalletDialects.erc7715, name: 'acme', grantMethod: 'acme_grant', revokeMethod: 'acme_revoke' }
    const inner = scriptedWallet('erc7715', {
      acme_grant: ([request]: { expiry: number; permissions: unknown }[]) => ({ expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: '0xacce' }),
      acme_revoke: {},
    })
    const { provider, client } = setup('erc7715', { wallet: acme }, inner)
    await client.grantPermissions(seedGrant())
    expect(await provider.sessions.get('0xacce')).toMatchObject({ wallet: 'acme', status: 'active' })
    await provider.sessions.revoke('0xacce')
    expect(inner.paramsOf('acme_grant')).toHaveLength(1)
    expect(inner.paramsOf('acme_revoke')).toStrictEqual([[{ permissionContext: '0xacce' }]])
    expect(inner.paramsOf('wallet_grantPermissions')).toStrictEqual([])
  })

  test('behavior: a 2025 list is granted in one wallet call and answered as a list', async () => {
    const { inner, provider } = setup('erc7715-2025')
    const request = (address: Address) => ({ chainId: '0x7a69', expiry: now + 60, permissions: [{ type: 'contract-call', data: { address, calls: [] } }] })
    const answer = (await provider.request({ method: 'wallet_grantPermissions', params: [request(nft), request(token)] })) as { context: string }[]
    expect(answer.map((a) => a.context)).toStrictEqual(['0x0001', '0x0002'])
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(1)
    expect(await provider.sessions.list()).toHaveLength(2)
  })

  test('error: a request in a draft the provider was not given is -32602 saying what to import and pass; nothing reaches the wallet', async () => {
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner, { now: () => now })
    const list = [{ chainId: '0x7a69', expiry: now + 60, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] } }] }]
    const refusals = await Promise.all([
      rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: list })),
      rejectionOf(provider.request({ method: 'wallet_getPermissions' })),
      rejectionOf(provider.request({ method: 'wallet_requestExecutionPermissions', params: [] })),
      rejectionOf(provider.request({ method: 'wallet_getGrantedExecutionPermissions' })),
    ])
    expect(refusals.map((error) => [error.code, error.message, (error.data as { hint: string }).hint])).toStrictEqual([
      [-32602, 'params: a list of grant requests asks in ERC-7715 as merged in February 2025, a draft this provider was not given', "import { erc7715v2025Requests } from 'keyleash' and pass withSessionKeys(inner, { requests: [erc7715v2025Requests] })"],
      [-32602, 'params: wallet_getPermissions answers in ERC-7715 as merged in February 2025, a draft this provider was not given', "import { erc7715v2025Requests } from 'keyleash' and pass withSessionKeys(inner, { requests: [erc7715v2025Requests] })"],
      [-32602, 'params: wallet_requestExecutionPermissions asks in ERC-7715 of January 2026, a draft this provider was not given', "import { executionPermissionRequests } from 'keyleash' and pass withSessionKeys(inner, { requests: [executionPermissionRequests] })"],
      [-32602, 'params: wallet_getGrantedExecutionPermissions answers in ERC-7715 of January 2026, a draft this provider was not given', "import { executionPermissionRequests } from 'keyleash' and pass withSessionKeys(inner, { requests: [executionPermissionRequests] })"],
    ])
    expect(inner.requests.filter(({ method }) => method !== 'eth_chainId' && method !== 'eth_accounts')).toStrictEqual([])
    // Given, they are read; the wallet's own draft is read without being passed.
    const given = withSessionKeys(scriptedWallet('erc7715'), { now: () => now, requests: [erc7715v2025Requests, executionPermissionRequests] })
    expect(await given.request({ method: 'wallet_getPermissions' })).toStrictEqual([])
    expect(await given.request({ method: 'wallet_getGrantedExecutionPermissions' })).toStrictEqual([])
    const byWallet = withSessionKeys(scriptedWallet('execution-permissions'), { now: () => now, wallet: devWalletDialects['execution-permissions'] })
    expect(await byWallet.request({ method: 'wallet_getGrantedExecutionPermissions' })).toStrictEqual([])
  })

  test('behavior: a 2025 list to a one-at-a-time wallet: when the second fails, the first is revoked', async () => {
    let calls = 0
    const inner = scriptedWallet('erc7715', {
      wallet_grantPermissions: ([request]: { expiry: number; permissions: unknown }[]) => {
        if (++calls === 2) throw { code: 4001, message: 'User rejected the request.' }
        return { expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: '0xfirst' }
      },
    })
    const { provider } = setup('erc7715', { requests: [erc7715v2025Requests] }, inner)
    const request = (address: Address) => ({ chainId: '0x7a69', expiry: now + 60, permissions: [{ type: 'contract-call', data: { address, calls: [] } }] })
    expect(await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [request(nft), request(token)] }))).toMatchObject({ code: 4001 })
    expect(inner.paramsOf('wallet_revokePermissions')).toStrictEqual([[{ permissionContext: '0xfirst' }]])
    expect(await provider.sessions.list()).toStrictEqual([])
  })

  test('behavior: wallet_requestExecutionPermissions is answered in its own shape', async () => {
    const { provider, inner } = setup('execution-permissions')
    const answer = await provider.request({
      method: 'wallet_requestExecutionPermissions',
      params: [{ chainId: '0x7a69', permission: { type: 'contract-call', isAdjustmentAllowed: false, data: { address: nft, calls: ['mint(address)'] } }, rules: [{ type: 'expiry', data: { timestamp: now + 60 } }] }],
    })
    expect(answer).toMatchObject([{ chainId: '0x7a69', from: account, context: '0x0001', rules: [{ type: 'expiry', data: { timestamp: now + 60 } }], dependencies: [] }])
    // The app said the wallet may not adjust: the wallet is told so, and the answer says so.
    const [[sent]] = inner.paramsOf('wallet_requestExecutionPermissions') as [[{ permission: { isAdjustmentAllowed: unknown } }]]
    expect(sent.permission.isAdjustmentAllowed).toBe(false)
    expect(answer[0]?.permission.isAdjustmentAllowed).toBe(false)
  })

  test('error: a grant the wallet\'s dialect cannot express fails before the wallet is asked', async () => {
    const { inner, client } = setup('erc7715-2025')
    const error = await rejectionOf(
      client.grantPermissions({ expiry: 60, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: { custom: 'call-limit' }, data: { count: 1 } }] }] }),
    )
    expect(error.code).toBe(-32602)
    expect(error.message).toContain('[0].policies: the wallet speaks ERC-7715 (2025), which cannot carry a call-limit policy')
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(0)
  })
})

describe('atomicity', () => {
  test('error: a rejected prompt (4001) reaches the app with its code, stores nothing, discards the made key', async () => {
    const inner = scriptedWallet('erc7715', { wallet_grantPermissions: fail({ code: 4001, message: 'User rejected the request.' }) })
    const { provider, client, store } = setup('erc7715', {}, inner)
    const error = await client.grantPermissions(seedGrant()).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'UserRejectedRequestError', code: 4001 })
    const [[sent]] = inner.paramsOf('wallet_grantPermissions') as [[{ signer: { data: { id: Address } } }]]
    expect(await store.keys.has(sent.signer.data.id)).toBe(false)
    expect(await provider.sessions.list()).toStrictEqual([])
  })

  test('error: an imported key survives a rejected grant (only keys the grant made are discarded)', async () => {
    const inner = scriptedWallet('erc7715', { wallet_grantPermissions: fail({ code: 4001, message: 'no' }) })
    const { provider, client, store } = setup('erc7715', {}, inner)
    const sessionKey = await provider.sessions.importKey(generatePrivateKey())
    await client.grantPermissions(seedGrant(sessionKey)).catch(() => {})
    expect(await store.keys.has(sessionKey)).toBe(true)
  })

  test('error: when one request\'s key cannot be made, a key still being made for another is discarded too', async () => {
    const store = memoryStore()
    const made: Address[] = []
    let calls = 0
    const generate: typeof store.keys.generate = async (keyType) => {
      if (++calls === 1) throw new Error('keystore locked')
      // The other request's key arrives after the first failed.
      await new Promise((resolve) => setTimeout(resolve, 5))
      const address = await store.keys.generate(keyType)
      made.push(address)
      return address
    }
    const { inner, provider } = setup('erc7715-2025', { store: { ...store, keys: { ...store.keys, generate } } })
    const request = (address: Address) => ({ chainId: '0x7a69', expiry: now + 60, permissions: [{ type: 'contract-call', data: { address, calls: [] } }] })
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [request(nft), request(token)] }))
    expect(error.message).toBe('keystore locked')
    // The late key lands after the refusal unless the grant waits for it: either way it must be gone.
    await vi.waitFor(() => expect(made).toHaveLength(1))
    expect(await store.keys.has(made[0] as Address)).toBe(false)
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(0)
  })

  test('error: a store failure after the wallet granted is coded, carries the context, and the grant is revoked', async () => {
    const store = memoryStore()
    const failing = { ...store, put: async () => Promise.reject(new Error('disk full')) }
    const { inner, provider } = setup('erc7715', { store: failing })
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))
    expect(error).toMatchObject({ code: -32603, data: { context: '0x0001' } })
    expect(error.message).toBe('the wallet granted, but the session store failed: disk full; the grant was revoked at the wallet')
    // The cause travels as a summary: no stack, no object graph.
    expect(error.data.cause).toStrictEqual({ name: 'Error', message: 'disk full' })
    expect(inner.paramsOf('wallet_revokePermissions')).toStrictEqual([[{ permissionContext: '0x0001' }]])
    expect(await store.list()).toStrictEqual([])
  })

  test.each([
    ['memoryStore', () => memoryStore()],
    ['webStorageStore', () => webStorageStore(new MemoryStorage(), { indexedDB: new IDBFactory() })],
  ] as const)('error: a multi-request grant the %s fails halfway removes the session kept, but not the key the app imported for it', async (_, makeStore) => {
    const store: SessionStore = makeStore()
    let puts = 0
    const failing = { ...store, put: async (session: Parameters<typeof store.put>[0]) => (++puts === 2 ? Promise.reject(new Error('disk full')) : store.put(session)) }
    const { inner, provider } = setup('erc7715-2025', { store: failing })
    const imported = await provider.sessions.importKey(generatePrivateKey())
    const request = (address: Address, signer?: Address) => ({
      chainId: '0x7a69',
      expiry: now + 60,
      ...(signer ? { signer: { type: 'account', data: { address: signer } } } : {}),
      permissions: [{ type: 'contract-call', data: { address, calls: [] } }],
    })
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [request(nft, imported), request(token)] }))
    expect(error).toMatchObject({ code: -32603, data: { contexts: ['0x0001', '0x0002'], revoked: true } })
    expect(await store.list()).toStrictEqual([])
    // The app's retry can still sign with its key; the key keyleash made for the second is gone.
    expect(await store.keys.has(imported)).toBe(true)
    const [sent] = inner.paramsOf('wallet_grantPermissions') as [[unknown, { signer: { data: { address: Address } } }]]
    expect(await store.keys.has(sent[1].signer.data.address)).toBe(false)
  })

  test('error: a wallet answer keyleash cannot read is -32603, not blamed on the app', async () => {
    const inner = scriptedWallet('erc7715', { wallet_grantPermissions: { expiry: now + 60 } })
    const { provider } = setup('erc7715', {}, inner)
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))
    expect(error.code).toBe(-32603)
    expect(error.message).toBe("the wallet's answer to wallet_grantPermissions is not a erc7715 grant: result.grantedPermissions: must be an array, got nothing")
    expect(await provider.sessions.list()).toStrictEqual([])
  })

  test('behavior: grants reach the wallet one at a time', async () => {
    let inFlight = 0
    let most = 0
    const inner = scriptedWallet('erc7715', {
      wallet_grantPermissions: async ([request]: { expiry: number; permissions: unknown }[]) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 2))
        inFlight--
        return { expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: `0x${Math.random().toString(16).slice(2, 10)}` }
      },
    })
    const { provider } = setup('erc7715', {}, inner)
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })))
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    expect(most).toBe(1)
    expect(await provider.sessions.list()).toHaveLength(5)
  })

  test('behavior: a sessionGranted listener that throws fails neither the grant nor the session\'s key', async () => {
    const { provider, client, store } = setup()
    provider.on('sessionGranted', () => {
      throw new Error('app listener bug')
    })
    // The listener's error is rethrown on a fresh stack; catch it here instead of as an uncaught error.
    const reported: (() => void)[] = []
    vi.stubGlobal('queueMicrotask', (task: () => void) => reported.push(task))
    const granted = await client.grantPermissions(seedGrant()).finally(() => vi.unstubAllGlobals())
    const [session] = await provider.sessions.list()
    expect(session?.id).toBe(granted.permissionsContext)
    expect(session?.keyAddress && (await store.keys.has(session.keyAddress))).toBe(true)
    expect(() => reported.forEach((task) => task())).toThrow('app listener bug')
  })
})

describe('checks against the wallet and the app', () => {
  test('error: a chain other than the wallet\'s', async () => {
    const { inner, provider } = setup('erc7715-2025')
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ chainId: '0x1', expiry: 60, permissions: [{ type: 'contract-call', data: { address: nft } }] }] }))
    expect(error).toMatchObject({ code: -32602, message: "[0].chainId: 1 is not the wallet's chain (31337); switch the wallet's chain first" })
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(0)
  })
  test('error: an injected clock in milliseconds (Date.now) is -32602 naming now, and the grant never reaches the wallet', async () => {
    const { inner, provider } = setup('erc7715', { now: Date.now })
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))
    expect(error).toMatchObject({ code: -32602, data: { field: 'now' } })
    expect(error.message).toMatch(/^now: must answer whole UNIX seconds, got \d{13} \(milliseconds\?\)$/)
    expect(inner.paramsOf('wallet_grantPermissions')).toStrictEqual([])
    expect(await provider.sessions.list()).toStrictEqual([])
    // Fractional seconds are no UNIX seconds either.
    const fractional = setup('erc7715', { now: () => now + 0.5 })
    expect(await rejectionOf(fractional.provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))).toMatchObject({
      code: -32602,
      message: 'now: must answer whole UNIX seconds, got 1800000000.5',
    })
  })
  test('error: a grant wider than options.allow is 4100 and never reaches the wallet', async () => {
    const { inner, client } = setup('erc7715', { allow: allowList([{ target: nft, selectors: ['mint(address)'] }]) })
    const error = await client.grantPermissions({ expiry: 60, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [] }] }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'UnauthorizedProviderError', code: 4100 })
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(0)
  })
})

describe('managing sessions', () => {
  test('behavior: wallet_getPermissions lists live sessions only, never expired or revoked ones', async () => {
    let clock = now
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner, { now: () => clock, requests: [erc7715v2025Requests, executionPermissionRequests] })
    await provider.request({ method: 'wallet_grantPermissions', params: [{ ...seedGrant(), expiry: 60 }] })
    const { permissionsContext } = (await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })) as { permissionsContext: string }
    await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })
    await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: permissionsContext }] })
    clock += 61
    const listed = (await provider.request({ method: 'wallet_getPermissions' })) as { context: string }[]
    expect(listed.map((l) => l.context)).toStrictEqual(['0x0003'])
    const execution = (await provider.request({ method: 'wallet_getGrantedExecutionPermissions' })) as { context: string }[]
    expect(execution.map((l) => l.context)).toStrictEqual(['0x0003'])
    expect((await provider.sessions.list()).map((s) => s.status)).toStrictEqual(['expired', 'revoked', 'active'])
  })

  test('behavior: wagmi\'s disconnect revoke ([{ eth_accounts: {} }]) goes to the wallet untouched', async () => {
    const inner = scriptedWallet('erc7715', { wallet_revokePermissions: null })
    const provider = withSessionKeys(inner)
    const params = [{ eth_accounts: {} }]
    expect(await provider.request({ method: 'wallet_revokePermissions', params })).toBeNull()
    expect(inner.paramsOf('wallet_revokePermissions')[0]).toBe(params)
  })

  test('behavior: a context keyleash did not grant goes to the wallet untouched', async () => {
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner)
    const params = [{ permissionContext: '0xunknown' }]
    await provider.request({ method: 'wallet_revokePermissions', params })
    expect(inner.paramsOf('wallet_revokePermissions')[0]).toBe(params)
  })

  test('error: when the wallet fails to revoke, the key is deleted anyway and the failure is reported with its code', async () => {
    const inner = scriptedWallet('erc7715', { wallet_revokePermissions: fail({ code: 4900, message: 'Disconnected' }) })
    const { provider, store } = setup('erc7715', {}, inner)
    const { permissionsContext } = (await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })) as { permissionsContext: string }
    const session = await provider.sessions.get(permissionsContext)
    const error = await rejectionOf(provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: permissionsContext }] }))
    expect(error).toMatchObject({ code: 4900, message: 'the session was revoked here and its key deleted, but the wallet did not revoke it: Disconnected' })
    expect(await store.keys.has(session?.keyAddress as Address)).toBe(false)
    expect((await provider.sessions.get(permissionsContext))?.status).toBe('revoked')
  })

  test('error: a session granted in another dialect (a store shared with a provider over another wallet) is revoked here only, and never at this wallet', async () => {
    const store = memoryStore()
    const other = setup('erc7715-2025', { store })
    const { permissionsContext } = (await other.provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })) as { permissionsContext: string }
    const key = (await store.get(permissionsContext))?.keyAddress as Address
    const { inner, provider } = setup('erc7715', { store })
    const error = await rejectionOf(provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: permissionsContext }] }))
    expect(error).toMatchObject({ code: -32603, data: { context: permissionsContext } })
    expect(error.message).toBe(
      "the session was revoked here only: it was granted in the erc7715-2025 dialect, and this provider's wallet speaks erc7715; revoke it at the wallet that granted it",
    )
    expect(inner.paramsOf('wallet_revokePermissions')).toHaveLength(0)
    expect(await store.keys.has(key)).toBe(false)
    expect((await provider.sessions.get(permissionsContext))?.status).toBe('revoked')
  })

  test('behavior: sessions.revoke(id, { wallet: false }) ends the session here only, key first', async () => {
    const { inner, provider, store } = setup()
    const { permissionsContext } = (await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })) as { permissionsContext: string }
    const key = (await provider.sessions.get(permissionsContext))?.keyAddress as Address
    await provider.sessions.revoke(permissionsContext, { wallet: false })
    expect((await provider.sessions.get(permissionsContext))?.status).toBe('revoked')
    expect(await store.keys.has(key)).toBe(false)
    expect(inner.paramsOf('wallet_revokePermissions')).toHaveLength(0)
  })

  test('error: a revoke without a context names the field', async () => {
    const { provider } = setup()
    expect(await rejectionOf(provider.request({ method: 'wallet_revokePermissions', params: [{}] }))).toMatchObject({
      code: -32602,
      message: 'params[0].permissionContext: must be a non-empty string, got nothing',
    })
  })

  test('behavior: events announce a grant without any key material', async () => {
    const { provider } = setup()
    const privateKey = generatePrivateKey()
    const granted: unknown[] = []
    provider.on('sessionGranted', (session) => granted.push(session))
    await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant(await provider.sessions.importKey(privateKey))] })
    expect(granted).toHaveLength(1)
    expect(JSON.stringify(granted, (_, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(privateKey.slice(2))
  })
})

describe('nothing left live', () => {
  /** A scripted wallet of `wallet`'s dialect whose grant answers go through `alter`. */
  function altered(wallet: DevWalletDialectName, alter: (answer: any) => unknown) {
    const honest = scriptedWallet(wallet)
    const { grantMethod } = devWalletDialects[wallet]
    const inner = scriptedWallet(wallet, { [grantMethod]: async (params: unknown) => alter(await honest.request({ method: grantMethod, params })) })
    return setup(wallet, {}, inner)
  }
  const revokeParams = (inner: ReturnType<typeof scriptedWallet>, wallet: DevWalletDialectName) => inner.paramsOf(devWalletDialects[wallet].revokeMethod)

  test.each([
    ['erc7715', (answer: any) => ({ ...answer, expiry: Number.NaN }), '0x0001', "the wallet's answer to wallet_grantPermissions is not a erc7715 grant: result.expiry: must be a positive whole number of seconds, got NaN; the grant was revoked at the wallet"],
    ['erc7715', (answer: any) => ({ ...answer, expiry: 1_700_000_000 }), '0x0001', "the wallet's answer to wallet_grantPermissions grants an expiry keyleash cannot keep (1700000000): it must be whole UNIX seconds after 1800000000; the grant was revoked at the wallet"],
    ['erc7715', (answer: any) => ({ ...answer, grantedPermissions: 'all of them' }), '0x0001', "the wallet's answer to wallet_grantPermissions is not a erc7715 grant: result.grantedPermissions: must be an array, got \"all of them\"; the grant was revoked at the wallet"],
    ['erc7715-2025', (answer: any) => answer.map((a: object) => ({ ...a, permissions: null })), '0x0001', "the wallet's answer to wallet_grantPermissions is not a erc7715-2025 grant: result[0].permissions: must be an array, got null; the grant was revoked at the wallet"],
    ['erc7715', (answer: any) => ({ ...answer, grantedPermissions: [{ type: 'contract-call', data: { address: token, calls: [] }, policies: [] }] }), '0x0001', 'the wallet granted none of what was asked: of the 1 permission(s) asked, none is among the 1 it granted; the grant was revoked at the wallet'],
    ['execution-permissions', (answer: any) => [...answer, { context: '0x0bad' }], '0x0001', "the wallet's answer to wallet_requestExecutionPermissions is not a execution-permissions grant: result: the wallet answered 2 grants for 1 requests; the grant was revoked at the wallet"],
  ] as const)('error: a %s wallet granted, keyleash refuses its answer, and revokes the grant there first', async (wallet, alter, context, message) => {
    const { inner, provider, store } = altered(wallet, alter)
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))
    expect(error.code).toBe(-32603)
    expect(error.message).toBe(message)
    expect(error.data).toMatchObject({ contexts: expect.arrayContaining([context]), revoked: true })
    expect(revokeParams(inner, wallet)).toContainEqual([{ permissionContext: context }])
    expect(await provider.sessions.list()).toStrictEqual([])
    const [[sent]] = inner.paramsOf(devWalletDialects[wallet].grantMethod) as [[{ signer?: { data: { id?: Address; address?: Address } }; to?: Address }]]
    expect(await store.keys.has((sent.to ?? sent.signer?.data.id ?? sent.signer?.data.address) as Address)).toBe(false)
  })

  test('error: when the revoke fails too, the error says so, with the contexts, and the code of the first failure', async () => {
    const { inner, provider } = altered('erc7715', (answer) => ({ ...answer, expiry: Number.NaN }))
    inner.script({ wallet_revokePermissions: fail({ code: 4900, message: 'Disconnected' }) })
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))
    expect(error).toMatchObject({ code: -32603, data: { context: '0x0001', contexts: ['0x0001'], revoked: false } })
    expect(error.message).toBe(
      "the wallet's answer to wallet_grantPermissions is not a erc7715 grant: result.expiry: must be a positive whole number of seconds, got NaN; revoking the grant at the wallet failed too (Disconnected): revoke 0x0001 there",
    )
  })

  test('error: a duplicate context is refused and never revoked at the wallet: the session already kept, and its key, stay as they were, live there too', async () => {
    const inner = scriptedWallet('erc7715', {
      wallet_grantPermissions: ([request]: { expiry: number; permissions: unknown }[]) => ({ expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: '0x0001' }),
    })
    const { provider, store } = setup('erc7715', {}, inner)
    await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })
    const before = await store.get('0x0001')
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ ...seedGrant(), expiry: 7200 }] }))
    expect(error).toMatchObject({ code: -32603, data: { context: '0x0001', contexts: [], held: ['0x0001'], revoked: true } })
    expect(error.message).toBe(
      'the wallet granted, but it names a session keyleash already holds: session 0x0001: a session with this id is already stored, and put never replaces one; not revoked at the wallet, where it would end the session keyleash holds: 0x0001',
    )
    expect(await store.get('0x0001')).toStrictEqual(before)
    expect(await store.keys.has(before?.keyAddress as Address)).toBe(true)
    expect((await provider.sessions.list()).map((session) => [session.id, session.status])).toStrictEqual([['0x0001', 'active']])
    const [, [second]] = inner.paramsOf('wallet_grantPermissions') as [unknown, [{ signer: { data: { id: Address } } }]]
    expect(await store.keys.has(second.signer.data.id)).toBe(false)
    expect(inner.paramsOf('wallet_revokePermissions')).toStrictEqual([])
  })

  test('error: an answer keyleash refuses that names a session it already holds is not revoked at the wallet either', async () => {
    let answers = 0
    const inner = scriptedWallet('erc7715', {
      wallet_grantPermissions: ([request]: { expiry: number; permissions: unknown }[]) => ({
        expiry: answers++ === 0 ? request?.expiry : Number.NaN,
        grantedPermissions: request?.permissions,
        permissionsContext: '0x0001',
      }),
    })
    const { provider, store } = setup('erc7715', {}, inner)
    await provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] })
    const before = await store.get('0x0001')
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedGrant()] }))
    expect(error).toMatchObject({ code: -32603, data: { context: '0x0001', contexts: [], held: ['0x0001'], revoked: true } })
    expect(error.message).toMatch(/must be a positive whole number of seconds, got NaN; not revoked at the wallet, where it would end the session keyleash holds: 0x0001$/)
    expect(await store.get('0x0001')).toStrictEqual(before)
    expect(inner.paramsOf('wallet_revokePermissions')).toStrictEqual([])
  })
})
