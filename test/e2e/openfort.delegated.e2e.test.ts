import { type Address, type Hex, createPublicClient, createWalletClient, encodeFunctionData, erc20Abi, http, numberToHex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi, openfortDelegatedAccountAbi } from '../../src/devwallet/artifacts.js'
import { type OpenfortBackend, startOpenfortBackend } from '../../src/devwallet/openfort/backend.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'
import { openfortExecutor } from '../../src/execution/openfort.js'
import type { KeyleashOptions } from '../../src/options.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { openfortWallet } from '../../src/wallets/openfort.js'
import { catchUpWithSystemClock, useSharedChain } from '../utils/chain.js'
import { rejectionOf } from '../utils/rejection.js'

/*
 * keyleash registering a Delegated Account's session keys itself, by the owner's own call on the
 * account through Openfort's real provider (a transaction intent the owner signs), so the account
 * holds the key to the grant's functions, ETH and token limits; then a leaked key, straight to
 * Openfort, is refused on chain what keyleash would refuse.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const day = 60 * 60 * 24
let backend: OpenfortBackend
let user: DevOpenfort

beforeEach(() => catchUpWithSystemClock(testClient))

beforeAll(async () => {
  backend = await startOpenfortBackend({ rpcUrl })
  user = await createDevOpenfort({ rpcUrl, backend, accountType: 'Delegated Account' })
  return () => backend.close()
}, 60_000)

function keyleashOver(options: KeyleashOptions = {}) {
  const executor = openfortExecutor({ backend: user.api, account: user.accountId, accountType: 'Delegated Account' })
  const provider = withSessionKeys(user.provider, { wallet: openfortWallet({ accountType: 'Delegated Account', registerOnAccount: true }), executor, ...options })
  return { provider }
}

/** Grants straight through keyleash, in viem's June 2024 shape (viem's types know no native-token allowance). */
async function grant(provider: ReturnType<typeof keyleashOver>['provider'], request: object): Promise<{ permissionsContext: string }> {
  return provider.request({ method: 'wallet_grantPermissions', params: [request] } as never)
}

/** Mint only on the NFT, up to `ether` of ETH, and 5 tokens' transfer; three calls. */
const mintRequest = (signer: Address, ether = 0n) => ({
  expiry: day,
  signer: { type: 'account' as const, data: { id: signer } },
  permissions: [
    { type: 'contract-call' as const, data: { address: user.contracts.nft, calls: ['mint(address)'] }, policies: [{ type: { custom: 'call-limit' }, data: { count: 3 } }] },
    ...(ether > 0n ? [{ type: 'native-token-transfer' as const, data: { allowance: numberToHex(ether) }, policies: [] }] : []),
  ],
})

const keyOf = (key: Address) => publicClient.readContract({ address: user.account, abi: openfortDelegatedAccountAbi, functionName: 'getKey', args: [key] })

/** What a leaked session key can do at Openfort without keyleash: create an intent and sign it. Answers the backend's JSON. */
async function leakedKeySends(privateKey: Hex, calls: { to: Address; data: Hex; value?: Hex }[]) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${backend.url}${path}`, { method: 'POST', headers: { ...user.api.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; response?: { status: number }; error?: { message: string } }
  }
  const intent = await post('/v1/transaction_intents', { account: user.accountId, chainId: anvil.id, interactions: calls })
  const signature = await privateKeyToAccount(privateKey).sign({ hash: intent.nextAction?.payload.signableHash as Hex })
  return post(`/v1/transaction_intents/${intent.id}/signature`, { signature })
}

describe("keyleash registering a Delegated Account's session keys on the account itself", () => {
  test('behavior: one owner transaction registers the grant\'s functions, ETH limit and call limit on chain, and the session says the wallet enforces them', async () => {
    const { provider } = keyleashOver()
    const key = await provider.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    const requests = backend.requests.length
    const { permissionsContext } = await grant(provider, mintRequest(key, parseEther('0.01')))
    expect(user.prompts - prompts).toBe(1)
    // Not Openfort's session API: one transaction intent, the owner's call on its own account.
    expect(backend.requests.slice(requests).map((r) => r.path.replace(/tin_\w+/, ':id'))).toStrictEqual(['/v1/transaction_intents', '/v1/transaction_intents/:id/signature'])
    const held = await keyOf(key)
    expect(held).toMatchObject({ active: true, master: false, limit: 3, ethLimit: parseEther('0.01'), allowedSelectors: ['0x6a627842'] })
    const session = await provider.sessions.get(permissionsContext)
    expect(session?.enforcedBy).toStrictEqual({ target: 'wallet', selector: 'wallet', value: 'wallet', spend: 'wallet', 'call-limit': 'wallet', expiry: 'wallet' })
    expect(held.validUntil).toBe(session?.expiry)
  })

  test('behavior: a leaked key calling a function outside the grant is refused on chain (SelectorNotAllowed), and so is more ETH than the limit (EthLimitExceeded)', async () => {
    const { provider } = keyleashOver()
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    await grant(provider, mintRequest(key, 1000n))
    const approve = encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [user.owner, true] })
    const outside = await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: approve }])
    expect(outside.error?.message).toContain('SelectorNotAllowed')
    expect(await publicClient.readContract({ address: user.contracts.nft, abi: demoNftAbi, functionName: 'isApprovedForAll', args: [user.account, user.owner] })).toBe(false)
    const mint = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] })
    const tooMuch = await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: mint, value: numberToHex(1001n) }])
    expect(tooMuch.error?.message).toContain('EthLimitExceeded')
    // Within the grant, the same leaked key still mints: the refusals are the rules, not the key.
    const within = await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: mint }])
    expect(within.response?.status).toBe(1)
  })

  test('behavior: requireWalletEnforcement accepts a mint-only grant, and a token allowance the account holds to its limit on chain (SpendLimitExceeded)', async () => {
    const { provider } = keyleashOver({ requireWalletEnforcement: true })
    const mintOnly = await grant(provider, mintRequest(await provider.sessions.importKey(generatePrivateKey())))
    expect((await provider.sessions.get(mintOnly.permissionsContext))?.enforcedBy.selector).toBe('wallet')
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    const tokens = {
      expiry: day,
      signer: { type: 'account' as const, data: { id: key } },
      permissions: [{ type: 'erc20-token-transfer' as const, data: { address: user.contracts.token, allowance: numberToHex(5n) }, policies: [] }],
    }
    const { permissionsContext } = await grant(provider, tokens)
    expect((await provider.sessions.get(permissionsContext))?.enforcedBy.spend).toBe('wallet')
    expect(await keyOf(key)).toMatchObject({ active: true, spendToken: user.contracts.token, spendLimit: 5n, allowedSelectors: ['0xa9059cbb'] })
    const fund = await createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), chain: anvil, transport: http(rpcUrl) })
    await testClient.setBalance({ address: fund.account.address, value: parseEther('1') })
    await publicClient.waitForTransactionReceipt({ hash: await fund.writeContract({ address: user.contracts.token, abi: demoTokenAbi, functionName: 'mint', args: [user.account, 100n] }) })
    const transfer = (amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [user.owner, amount] })
    expect((await leakedKeySends(privateKey, [{ to: user.contracts.token, data: transfer(6n) }])).error?.message).toContain('SpendLimitExceeded')
    expect((await leakedKeySends(privateKey, [{ to: user.contracts.token, data: transfer(5n) }])).response?.status).toBe(1)
  })

  test('error: requireWalletEnforcement refuses, before the owner is asked, a grant whose targets take different functions (the account keeps one list per key)', async () => {
    const { provider } = keyleashOver({ requireWalletEnforcement: true })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    const request = mintRequest(key)
    const error = await rejectionOf(
      grant(provider, {
        ...request,
        permissions: [...request.permissions, { type: 'erc20-token-transfer' as const, data: { address: user.contracts.token, allowance: numberToHex(5n) }, policies: [] }],
      }),
    )
    expect(error.message).toContain('does not enforce the selector rule')
    expect(user.prompts).toBe(prompts)
    expect((await keyOf(key)).active).toBe(false)
  })

  test('behavior: revoking the session revokes the key on the account, by the owner\'s own call', async () => {
    const { provider } = keyleashOver()
    const key = await provider.sessions.importKey(generatePrivateKey())
    const { permissionsContext } = await grant(provider, mintRequest(key))
    await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: permissionsContext }] } as never)
    expect((await keyOf(key)).active).toBe(false)
  })

  test('error: a grant keyleash cannot keep (the store fails) is revoked on the account, and the error says so', async () => {
    const store = memoryStore()
    const { provider } = keyleashOver({ store: { ...store, put: async () => Promise.reject(new Error('disk full')) } })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const error = await rejectionOf(grant(provider, mintRequest(key)))
    expect(error.message).toContain('the grant was revoked at the wallet')
    expect((await keyOf(key)).active).toBe(false)
  })

  test('error: a grant the account cannot hold (any function of a contract) is refused before the owner is asked', async () => {
    const { provider } = keyleashOver()
    const key = await provider.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    const error = await rejectionOf(
      grant(provider, { expiry: day, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: user.contracts.nft }, policies: [] }] }),
    )
    expect(error).toMatchObject({ code: -32602 })
    expect(error.message).toContain('cannot register one for any function')
    expect(user.prompts).toBe(prompts)
  })
})
