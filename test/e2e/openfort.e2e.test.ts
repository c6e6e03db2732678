import { type Address, type Hex, createPublicClient, createWalletClient, custom, encodeFunctionData, http } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { demoNftAbi, openfortDelegatedAccountAbi, openfortSmartAccountAbi } from '../../src/devwallet/artifacts.js'
import { openfortMasterLimit } from '../../src/devwallet/openfort/accounts.js'
import { type OpenfortAccountType, type OpenfortBackend, startOpenfortBackend } from '../../src/devwallet/openfort/backend.js'
import { openfortExecutor } from '../../src/execution/openfort.js'
import { walletEnforcement } from '../../src/permissions/enforcement.js'
import type { KeyleashOptions } from '../../src/options.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { openfort, openfortWallet } from '../../src/wallets/openfort.js'
import { catchUpWithSystemClock, useSharedChain } from '../utils/chain.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'
import { rejectionOf } from '../utils/rejection.js'
import { delegatedKeyId } from '../../src/wallets/openfortDelegated/abi.js'

/*
 * keyleash over Openfort's own SDK (its real EvmProvider and backend clients) and the
 * development backend, executing on the dev chain: grants, sends through transaction intents
 * signed by the session key, revokes, and what Openfort itself enforces.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const mint = '0x6a627842'
const day = 60 * 60 * 24
let backend: OpenfortBackend
const users = {} as Record<OpenfortAccountType, DevOpenfort>

// The SDK dates sessions by the system clock and the accounts check validAfter: the chain must not run behind it.
beforeEach(() => catchUpWithSystemClock(testClient))

beforeAll(async () => {
  backend = await startOpenfortBackend({ rpcUrl })
  users['Smart Account'] = await createDevOpenfort({ rpcUrl, backend })
  users['Delegated Account'] = await createDevOpenfort({ rpcUrl, backend, accountType: 'Delegated Account' })
  return () => backend.close()
}, 60_000)

/** keyleash over the user's Openfort provider, told its account type, sending through transaction intents. */
export function keyleashOver(user: DevOpenfort, options: KeyleashOptions = {}) {
  const executor = openfortExecutor({
    backend: { url: user.backend.url, headers: { authorization: `Bearer ${user.backend.secretKey}` } },
    account: user.openfortAccount.id,
    accountType: user.openfortAccount.accountType,
  })
  const provider = withSessionKeys(user.provider, { wallet: openfortWallet({ accountType: user.openfortAccount.accountType }), executor, ...options })
  const client = createWalletClient({ account: user.account, chain: anvil, transport: custom(provider) }).extend(erc7715Actions())
  return { provider, client }
}

/** The key as the user's account holds it, whatever its type. */
async function onChain(user: DevOpenfort, key: Address): Promise<{ active: boolean; master: boolean; limit: number }> {
  if (user.openfortAccount.accountType === 'Delegated Account') {
    const { isActive, masterKey, limits } = await publicClient.readContract({ address: user.account, abi: openfortDelegatedAccountAbi, functionName: 'getKey', args: [delegatedKeyId(key)] })
    return { active: isActive, master: masterKey, limit: limits }
  }
  const [, validUntil, limit, master] = await publicClient.readContract({ address: user.account, abi: openfortSmartAccountAbi, functionName: 'sessionKeys', args: [key] })
  return { active: validUntil !== 0, master, limit }
}
const callLimit = (count: number) => [{ type: { custom: 'call-limit' }, data: { count } }]
const nfts = (user: DevOpenfort) => publicClient.readContract({ address: user.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [user.account] })
const seedRequest = (user: DevOpenfort, signer?: Address, policies: { type: { custom: string }; data: { count: number } }[] = []) => ({
  expiry: day,
  ...(signer ? { signer: { type: 'account' as const, data: { id: signer } } } : {}),
  permissions: [{ type: 'contract-call' as const, data: { address: user.contracts.nft, calls: ['mint(address)'] }, policies }],
})

describe.each(['Smart Account', 'Delegated Account'] as const)('keyleash over Openfort\'s SDK, a %s', (type) => {
  test('default: the seed\'s grant lands on chain as Openfort enforces it, and the session says who enforces what', async () => {
    const user = users[type]
    const { provider, client } = keyleashOver(user)
    const key = await provider.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    // A Delegated Account takes a session without a limit as a master key: there, the grant names one.
    const delegated = type === 'Delegated Account'
    const granted = await client.grantPermissions(seedRequest(user, key, delegated ? callLimit(5) : []))
    expect(user.prompts - prompts).toBe(1)
    expect(granted.permissionsContext).toMatch(/^ses_/)
    // keyleash answers what it will sign: mint only, although Openfort whitelisted the whole NFT.
    expect(granted.grantedPermissions).toStrictEqual([
      { type: 'contract-call', data: { address: user.contracts.nft, calls: [mint] }, policies: delegated ? [{ type: 'call-limit', data: { count: 5 } }] : [], required: true },
    ])
    expect(await onChain(user, key)).toStrictEqual({ active: true, master: false, limit: delegated ? 5 : openfortMasterLimit })
    expect(await provider.sessions.get(granted.permissionsContext)).toMatchObject({
      keyAddress: key,
      wallet: 'openfort',
      enforcedBy: { target: 'wallet', selector: 'keyleash', value: 'keyleash', spend: 'keyleash', 'call-limit': 'wallet', expiry: 'wallet' },
    })
  })

  test('default: five mints signed by the session key through transaction intents, no owner signature', async () => {
    const user = users[type]
    const { provider, client } = keyleashOver(user)
    const key = await provider.sessions.importKey(generatePrivateKey())
    const { permissionsContext } = await client.grantPermissions(seedRequest(user, key, callLimit(5)))
    expect((await onChain(user, key)).limit).toBe(5)
    const prompts = user.prompts
    const before = await nfts(user)
    for (let i = 0; i < 5; i++) {
      const { id } = await client.sendCalls({
        calls: [{ to: user.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [user.account] }],
        capabilities: { permissions: { context: permissionsContext } },
      })
      expect(id).toMatch(/^tin_/)
      // Openfort's own provider answers the status of the intent.
      expect(await client.waitForCallsStatus({ id, pollingInterval: 10 })).toMatchObject({ status: 'success' })
    }
    expect((await nfts(user)) - before).toBe(5n)
    expect(user.prompts).toBe(prompts)
    expect((await onChain(user, key)).limit).toBe(0)
    const sixth = await rejectionOf(sendCalls(provider, user, permissionsContext, encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] })))
    expect(sixth).toMatchObject({ code: 4100, data: { reasons: [expect.objectContaining({ reason: 'call-limit-reached' })] } })
  })

  test('behavior: a keyleash-made key (no signer) is granted, signs, and is revoked at Openfort by its address', async () => {
    const user = users[type]
    const { provider, client } = keyleashOver(user)
    const { permissionsContext } = await client.grantPermissions(seedRequest(user, undefined, callLimit(3)))
    const key = (await provider.sessions.get(permissionsContext))?.keyAddress as Address
    expect((await onChain(user, key)).active).toBe(true)
    const { id } = await client.sendCalls({ calls: [{ to: user.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [user.account] }], capabilities: { permissions: { context: permissionsContext } } })
    expect(await client.waitForCallsStatus({ id, pollingInterval: 10 })).toMatchObject({ status: 'success' })
    const requests = backend.requests.length
    await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: permissionsContext }] })
    expect(backend.requests.slice(requests).find((r) => r.path === '/v1/sessions/revoke')?.body).toMatchObject({ address: key, account: user.openfortAccount.id })
    expect((await onChain(user, key)).active).toBe(false)
    expect(backend.sessions().find((s) => s.id === permissionsContext)?.isActive).toBe(false)
  })
})

describe('keyleash over Openfort\'s SDK: limit 0 read as the account type means it', () => {
  test('error: on a Delegated Account, a grant without a call limit is refused before Openfort is asked (it would be a master key)', async () => {
    const user = users['Delegated Account']
    const { provider } = keyleashOver(user)
    const requests = backend.requests.length
    const prompts = user.prompts
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedRequest(user)] }))
    expect(error).toMatchObject({ code: -32602 })
    expect(error.message).toContain("on a Delegated Account, Openfort registers a session without a limit with limit 0, which Openfort's first Delegated Account read as a master key and its current one refuses")
    expect(backend.requests.length).toBe(requests)
    expect(user.prompts).toBe(prompts)
  })

  test('error: told no account type, keyleash asks; a Delegated Account refuses a key without a call limit (LimitsRequired) once the owner has signed, and nothing is kept', async () => {
    const user = users['Delegated Account']
    const executor = openfortExecutor({ backend: { url: backend.url, headers: { authorization: `Bearer ${backend.secretKey}` } }, account: user.openfortAccount.id, accountType: 'Delegated Account' })
    const provider = withSessionKeys(user.provider, { wallet: openfort, executor })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedRequest(user, key)] }))
    expect(error.message).toContain('LimitsRequired')
    expect(await onChain(user, key)).toMatchObject({ active: false })
    expect(await provider.sessions.list()).toStrictEqual([])
  })

  test('behavior: the limit counts calls on both types: a batch of 2 uses 2, on chain and in keyleash, which refuses a batch over what is left', async () => {
    for (const user of Object.values(users)) {
      const { provider, client } = keyleashOver(user)
      const key = await provider.sessions.importKey(generatePrivateKey())
      const { permissionsContext } = await client.grantPermissions(seedRequest(user, key, callLimit(3)))
      const mintCall = { to: user.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [user.account] } as const
      const { id } = await client.sendCalls({ calls: [mintCall, mintCall], capabilities: { permissions: { context: permissionsContext } } })
      expect(await client.waitForCallsStatus({ id, pollingInterval: 10 })).toMatchObject({ status: 'success' })
      expect((await onChain(user, key)).limit).toBe(1)
      const data = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] })
      const over = await rejectionOf(
        provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', from: user.account, atomicRequired: true, calls: [{ to: user.contracts.nft, data }, { to: user.contracts.nft, data }], capabilities: { permissions: { context: permissionsContext } } }] }),
      )
      // The first call of the two fits the one call left; the second does not.
      expect(over).toMatchObject({ code: 4100, data: { reasons: [null, expect.objectContaining({ reason: 'call-limit-reached', call: 1 })] } })
    }
  })
})

describe('keyleash over Openfort\'s SDK: what Openfort enforces and what keyleash alone does', () => {
  test('behavior: another function of the NFT is refused by keyleash (4100), while Openfort itself executes it for the same key', async () => {
    const user = users['Smart Account']
    const { provider, client } = keyleashOver(user)
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    const { permissionsContext } = await client.grantPermissions(seedRequest(user, key))
    const approve = encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [user.owner, true] })
    const refused = await rejectionOf(sendCalls(provider, user, permissionsContext, approve))
    expect(refused.code).toBe(4100)
    expect(refused.message).toContain('function 0xa22cb465')
    // The same key, straight to Openfort: the target is whitelisted, the function is not checked.
    const receipt = await signIntentDirectly(user, privateKey, [{ to: user.contracts.nft, data: approve }])
    expect(receipt.status).toBe(1)
    expect(await publicClient.readContract({ address: user.contracts.nft, abi: demoNftAbi, functionName: 'isApprovedForAll', args: [user.account, user.owner] })).toBe(true)
  })

  test('behavior: on a Delegated Account too, the functions are keyleash\'s alone: the key straight to Openfort runs one the grant left out', async () => {
    const user = users['Delegated Account']
    const { provider, client } = keyleashOver(user)
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    const { permissionsContext } = await client.grantPermissions(seedRequest(user, key, callLimit(3)))
    expect((await provider.sessions.get(permissionsContext))?.enforcedBy.selector).toBe('keyleash')
    const approve = encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [user.owner, true] })
    expect((await rejectionOf(sendCalls(provider, user, permissionsContext, approve))).code).toBe(4100)
    // The account holds the key to the selectors Openfort's backend registered, not to the grant's "mint only".
    const receipt = await signIntentDirectly(user, privateKey, [{ to: user.contracts.nft, data: approve }])
    expect(receipt.status).toBe(1)
  })

  test('error: requireWalletEnforcement refuses a mint-only grant before Openfort hears of it, naming the selector rule', async () => {
    const user = users['Smart Account']
    const { provider } = keyleashOver(user, { requireWalletEnforcement: walletEnforcement() })
    const requests = backend.requests.length
    const prompts = user.prompts
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [seedRequest(user)] }))
    expect(error).toMatchObject({ code: 4100 })
    expect(error.message).toMatchInlineSnapshot(`"grant: the wallet (openfort) does not enforce the selector rule, only keyleash would, and requireWalletEnforcement is on"`)
    expect(backend.requests.length).toBe(requests)
    expect(user.prompts).toBe(prompts)
  })

  test('error: a grant keyleash cannot keep (the store fails) is revoked at Openfort, and the error says so', async () => {
    const user = users['Smart Account']
    const store = memoryStore()
    const { provider, client } = keyleashOver(user, { store: { ...store, put: async () => Promise.reject(new Error('disk full')) } })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const error = await rejectionOf(client.grantPermissions(seedRequest(user, key)))
    expect(error.message).toContain('the grant was revoked at the wallet')
    const session = backend.sessions().filter((s) => s.address === key)
    expect(session.map((s) => s.isActive)).toStrictEqual([false])
    expect((await onChain(user, key)).active).toBe(false)
  })

  test('error: an answer keyleash cannot read at all is still revoked at Openfort, by the key address the request carried', async () => {
    const user = users['Smart Account']
    // Openfort's provider as it is, but for an answer to the grant that nothing could read.
    const garbling = {
      ...user,
      provider: {
        request: async (args: { method: string; params?: unknown }) => {
          const answer = await user.provider.request(args as never)
          return args.method === 'wallet_grantPermissions' ? 'garbage' : answer
        },
      },
    } as DevOpenfort
    const { provider, client } = keyleashOver(garbling)
    const key = await provider.sessions.importKey(generatePrivateKey())
    const error = await rejectionOf(client.grantPermissions(seedRequest(user, key)))
    expect(error.message).toContain('is not a openfort grant: result: must be an object, got "garbage"; the grant was revoked at the wallet')
    expect(backend.sessions().filter((s) => s.address === key).map((s) => s.isActive)).toStrictEqual([false])
    expect((await onChain(user, key)).active).toBe(false)
    expect(await provider.sessions.list()).toStrictEqual([])
  })
})

/** `wallet_sendCalls` under a permissions context, straight to keyleash (viem would wrap the error). */
function sendCalls(provider: ReturnType<typeof keyleashOver>['provider'], user: DevOpenfort, context: string, data: Hex) {
  return provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', from: user.account, atomicRequired: true, calls: [{ to: user.contracts.nft, data }], capabilities: { permissions: { context } } }] })
}

/** What a leaked session key can do at Openfort without keyleash: create an intent and sign it. */
async function signIntentDirectly(user: DevOpenfort, privateKey: Hex, calls: { to: Address; data: Hex }[]) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${user.backend.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${user.backend.secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; response?: { status: number } }
  }
  const intent = await post('/v1/transaction_intents', { account: user.openfortAccount.id, chainId: anvil.id, interactions: calls })
  const signature = await privateKeyToAccount(privateKey).signMessage({ message: { raw: intent.nextAction?.payload.signableHash as Hex } })
  return (await post(`/v1/transaction_intents/${intent.id}/signature`, { signature })).response as { status: number }
}
